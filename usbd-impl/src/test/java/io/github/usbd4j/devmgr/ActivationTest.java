package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_NOLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_NOUNLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_UNLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_CLIENTINFO_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DEVKEY_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DEVNAME_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_FLAGS_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_HANDLE_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_INDEX_VALNAME;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.devmgr.DeviceManagerFixture.MARK;
import static io.github.usbd4j.devmgr.DeviceManagerFixture.markLastError;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_BAD_CONFIGURATION;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_IN_USE;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_FILE_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_ACCESS;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_FUNCTION;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_OPEN_FAILED;
import static io.github.usbd4j.win32.Win32.ERROR_SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.DeviceInformation;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.ce.devmgr.RegIni;
import io.github.usbd4j.win32.Win32;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ActivateDeviceEx and DeactivateDevice driven by the device key's values (reference page of the device
 * manager, [§D2](reference/ce-devmgr.html#d2), [§D3](reference/ce-devmgr.html#d3)): naming from Prefix and Index, the Active key, the entry-point rules, the flags, and
 * every failure answered with CE's error.
 */
class ActivationTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    private FileHandle open(String name) {
        return f.dm.createFile(name, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    }

    @Test
    void activation_readsTheDeviceKey_namesTheDevice_andWritesTheActiveKey() {
        String devKey = f.deviceKey("Lbk", Probe.PreDriver.class, "LBK");
        Probe p = new Probe();
        markLastError();

        ActivationHandle h = f.dm.activateDeviceEx(devKey, null, 0, p);

        assertThat(h).isNotNull();
        assertThat(Win32.getLastError()).as("success leaves the last error").isEqualTo(MARK);
        assertThat(p.activeKey).as("XXX_Init got the Active key's path").isEqualTo("Drivers\\Active\\01");
        assertThat(p.events()).containsExactly("Init Drivers\\Active\\01");
        ClientRegistryKey active = f.dm.regOpenKeyEx(p.activeKey);
        assertThat(active.queryString(DEVLOAD_DEVKEY_VALNAME)).isEqualTo(devKey);
        assertThat(active.queryString(DEVLOAD_DEVNAME_VALNAME)).isEqualTo("LBK1:");
        assertThat(active.queryDword(DEVLOAD_HANDLE_VALNAME, -1)).isEqualTo(1);
        assertThat(f.dm.openDeviceKey(p.activeKey).queryString("Dll")).isEqualTo(Probe.PreDriver.class.getName());
        assertThat(f.dm.activeDevices())
                .containsExactly(new DeviceInformation(h, "LBK1:", devKey, "$device\\LBK1", "Drivers\\Active\\01"));

        FileHandle file = open("lbk1:");
        assertThat(file).as("legacy names match in any case").isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(f.dm.closeHandle(file)).isTrue();
        FileHandle byDeviceName = open("\\$device\\LBK1");
        assertThat(byDeviceName).isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(f.dm.closeHandle(byDeviceName)).isTrue();
    }

    @Test
    void twoDevices_getIndexOneAndTwo_andAFreedIndexIsReused() {
        String devKey = f.deviceKey("Lbk", Probe.PreDriver.class, "LBK");
        ActivationHandle first = f.dm.activateDeviceEx(devKey, null, 0, new Probe());
        ActivationHandle second = f.dm.activateDeviceEx(devKey, null, 0, new Probe());

        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::legacyName)
                .containsExactly("LBK1:", "LBK2:");
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::activeKey)
                .containsExactly("Drivers\\Active\\01", "Drivers\\Active\\02");

        assertThat(f.dm.deactivateDevice(first)).isTrue();
        assertThat(open("LBK1:")).isEqualTo(INVALID_HANDLE_VALUE);
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEV_NOT_EXIST);
        assertThat(f.dm.regOpenKeyEx("Drivers\\Active\\01"))
                .as("the Active key is deleted")
                .isNull();

        ActivationHandle third = f.dm.activateDeviceEx(devKey, null, 0, new Probe());
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::device, DeviceInformation::legacyName, DeviceInformation::activeKey)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(second, "LBK2:", "Drivers\\Active\\02"),
                        org.assertj.core.groups.Tuple.tuple(third, "LBK1:", "Drivers\\Active\\03"));
    }

    @Test
    void index_fromTheRegistry_isUsedAndMustBeFree() {
        String devKey = f.deviceKey("Com", Probe.PreDriver.class, "COM");
        f.key(devKey).setDword(DEVLOAD_INDEX_VALNAME, 3);

        assertThat(f.dm.activateDeviceEx(devKey, null, 0, new Probe())).isNotNull();
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::legacyName)
                .containsExactly("COM3:");

        Probe second = new Probe();
        assertThat(f.dm.activateDeviceEx(devKey, null, 0, second)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_DEVICE_IN_USE);
        assertThat(second.events()).as("XXX_Init not called").isEmpty();
    }

    @Test
    void indexTen_chosenByTheLoaderIsLegacyZero_givenIsDeviceNamespaceOnly() {
        String devKey = f.deviceKey("Auto", Probe.PreDriver.class, "AUT");
        for (int i = 1; i <= 10; i++) {
            assertThat(f.dm.activateDeviceEx(devKey, null, 0, new Probe())).isNotNull();
        }
        assertThat(f.dm.activeDevices().get(9).legacyName()).isEqualTo("AUT0:");
        assertThat(f.dm.activeDevices().get(9).deviceName()).isEqualTo("$device\\AUT10");

        String given = f.deviceKey("Given", Probe.PreDriver.class, "GIV");
        f.key(given).setDword(DEVLOAD_INDEX_VALNAME, 12);
        assertThat(f.dm.activateDeviceEx(given, null, 0, new Probe())).isNotNull();
        DeviceInformation twelve = f.dm.activeDevices().get(10);
        assertThat(twelve.legacyName()).isEmpty();
        assertThat(twelve.deviceName()).isEqualTo("$device\\GIV12");
        FileHandle h = open("\\$DEVICE\\giv12");
        assertThat(h).isNotEqualTo(INVALID_HANDLE_VALUE);
        assertThat(f.dm.closeHandle(h)).isTrue();
    }

    @Test
    void aPrefixThatIsNotThreeCharacters_isIgnored_andTheDeviceHasNoName() {
        String devKey = f.deviceKey("Long", Probe.InitOnlyDriver.class, "LOOP");
        Probe p = new Probe();
        ActivationHandle h = f.dm.activateDeviceEx(devKey, null, 0, p);

        assertThat(h).as("unnamed: Init and Deinit suffice").isNotNull();
        assertThat(f.dm.activeDevices())
                .singleElement()
                .satisfies(d -> assertThat(d.legacyName()).isEmpty())
                .satisfies(d -> assertThat(d.deviceName()).isEmpty());
        assertThat(f.dm.regOpenKeyEx(p.events().get(0).substring(5)).queryString(DEVLOAD_DEVNAME_VALNAME))
                .isNull();
        assertThat(f.dm.deactivateDevice(h)).isTrue();
        assertThat(p.events()).endsWith("Deinit");
    }

    @Test
    void entryPointRules_forANamedDevice() {
        assertThat(f.dm.activateDeviceEx(f.deviceKey("A", Probe.InitOnlyDriver.class, "AAA"), null, 0, new Probe()))
                .isNull();
        assertThat(Win32.getLastError()).as("named, no open/close/io").isEqualTo(ERROR_INVALID_FUNCTION);

        assertThat(f.dm.activateDeviceEx(f.deviceKey("B", Probe.PreCloseOnlyDriver.class, "BBB"), null, 0, new Probe()))
                .isNull();
        assertThat(Win32.getLastError()).as("PreClose without PreDeinit").isEqualTo(ERROR_INVALID_FUNCTION);

        assertThat(f.dm.activateDeviceEx(f.deviceKey("C", Probe.ReadOnlyDriver.class, "CCC"), null, 0, new Probe()))
                .as("open, close and one I/O entry point")
                .isNotNull();
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::legacyName)
                .containsExactly("CCC1:");
    }

    @Test
    void dllValue_mustNameAStreamDriverClass() {
        assertThat(f.dm.activateDeviceEx(f.deviceKey("X", Probe.NotADriver.class, "XXX"), null, 0, new Probe()))
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_FILE_NOT_FOUND);

        String missing = "Drivers\\Test\\Missing";
        f.dm.regCreateKeyEx(missing).setString("Dll", "no.such.Driver");
        assertThat(f.dm.activateDeviceEx(missing, null, 0, null)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_FILE_NOT_FOUND);

        String noDll = "Drivers\\Test\\NoDll";
        f.dm.regCreateKeyEx(noDll).setString("Prefix", "NOD");
        assertThat(f.dm.activateDeviceEx(noDll, null, 0, null)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_BAD_CONFIGURATION);

        assertThat(f.dm.activateDeviceEx("Drivers\\Test\\NoSuchKey", null, 0, null))
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_BAD_CONFIGURATION);
        assertThat(f.dm.activeDevices()).isEmpty();
    }

    @Test
    void theDriverInstance_isSharedByItsDevices_likeALoadedDll() {
        String devKey = f.deviceKey("Aware", Probe.ManagerAwareDriver.class, "AWR");
        Probe a = new Probe();
        Probe b = new Probe();
        ActivationHandle ha = f.dm.activateDeviceEx(devKey, null, 0, a);
        ActivationHandle hb = f.dm.activateDeviceEx(devKey, null, 0, b);

        assertThat(a.manager).as("constructed with the device manager").isSameAs(f.dm);
        assertThat(b.manager).isSameAs(a.manager);
        assertThat(a.manager.openDeviceKey(a.activeKey).queryString("Prefix")).isEqualTo("AWR");
        assertThat(f.dm.deactivateDevice(ha)).isTrue();
        assertThat(f.dm.deactivateDevice(hb)).isTrue();
    }

    @Test
    void initFailures_leaveNoDevice() {
        String devKey = f.deviceKey("Fail", Probe.PreDriver.class, "FAI");
        Probe refuses = new Probe();
        refuses.failInit = true;
        assertThat(f.dm.activateDeviceEx(devKey, null, 0, refuses)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_OPEN_FAILED);
        assertThat(refuses.events()).as("no Deinit after a failed Init").containsExactly("Init Drivers\\Active\\01");

        Probe throwsInInit = new Probe();
        throwsInInit.throwInit = true;
        assertThat(f.dm.activateDeviceEx(devKey, null, 0, throwsInInit)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);

        assertThat(f.dm.activeDevices()).isEmpty();
        assertThat(f.dm.regOpenKeyEx("Drivers\\Active\\01")).isNull();
        assertThat(f.dm.regOpenKeyEx("Drivers\\Active\\02")).isNull();
        assertThat(open("FAI1:")).isEqualTo(INVALID_HANDLE_VALUE);

        Probe ok = new Probe();
        assertThat(f.dm.activateDeviceEx(devKey, null, 0, ok)).isNotNull();
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::legacyName)
                .containsExactly("FAI1:");
    }

    @Test
    void flags_noLoad_unload_noUnload() {
        String noLoad = f.deviceKey("NoLoad", Probe.PreDriver.class, "NOL");
        f.key(noLoad).setDword(DEVLOAD_FLAGS_VALNAME, DEVFLAGS_NOLOAD);
        Probe p = new Probe();
        markLastError();
        assertThat(f.dm.activateDeviceEx(noLoad, null, 0, p)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_SUCCESS);
        assertThat(p.events()).isEmpty();

        String unload = f.deviceKey("Unload", Probe.PreDriver.class, "UNL");
        f.key(unload).setDword(DEVLOAD_FLAGS_VALNAME, DEVFLAGS_UNLOAD);
        Probe u = new Probe();
        assertThat(f.dm.activateDeviceEx(unload, null, 0, u)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_SUCCESS);
        assertThat(u.events()).containsExactly("Init Drivers\\Active\\01", "PreDeinit", "Deinit");
        assertThat(f.dm.activeDevices()).isEmpty();

        String noUnload = f.deviceKey("Stay", Probe.PreDriver.class, "STY");
        f.key(noUnload).setDword(DEVLOAD_FLAGS_VALNAME, DEVFLAGS_NOUNLOAD);
        Probe s = new Probe();
        ActivationHandle h = f.dm.activateDeviceEx(noUnload, null, 0, s);
        assertThat(f.dm.deactivateDevice(h)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_ACCESS_DENIED);
        assertThat(f.dm.activeDevices()).hasSize(1);
    }

    @Test
    void regIniEntries_andActivateDeviceClientInfo_goToTheActiveKey() {
        String devKey = f.deviceKey("Bus", Probe.PreDriver.class, "BUS");
        Probe p = new Probe();
        f.dm.activateDeviceEx(
                devKey,
                new RegIni[] {RegIni.dword("Speed", 480), RegIni.string("Serial", "0042"), RegIni.dword("Unused", 1)},
                2,
                p);
        ClientRegistryKey active = f.dm.regOpenKeyEx(p.activeKey);
        assertThat(active.queryDword("Speed", 0)).isEqualTo(480);
        assertThat(active.queryString("Serial")).isEqualTo("0042");
        assertThat(active.valueNames()).as("only cRegEnts entries").doesNotContain("Unused");

        String plain = f.deviceKey("Plain", Probe.InitOnlyDriver.class, null);
        ActivationHandle h = f.dm.activateDevice(plain, 0x1234);
        assertThat(h).isNotNull();
        String activeKey = f.dm.activeDevices().get(1).activeKey();
        assertThat(f.dm.regOpenKeyEx(activeKey).queryDword(DEVLOAD_CLIENTINFO_VALNAME, 0))
                .isEqualTo(0x1234);
    }

    @Test
    void badArguments_areAnsweredWithCeErrors_neverAnException() {
        String devKey = f.deviceKey("Args", Probe.PreDriver.class, "ARG");
        List<Integer> errors = new ArrayList<>();
        assertThat(f.dm.activateDeviceEx(null, null, 0, null)).isNull();
        errors.add(Win32.getLastError());
        assertThat(f.dm.activateDeviceEx("\\\\", null, 0, null)).isNull();
        errors.add(Win32.getLastError());
        assertThat(f.dm.activateDeviceEx(devKey, new RegIni[1], 2, new Probe())).isNull();
        errors.add(Win32.getLastError());
        assertThat(f.dm.activateDeviceEx(devKey, new RegIni[1], -1, new Probe()))
                .isNull();
        errors.add(Win32.getLastError());
        assertThat(errors).containsOnly(ERROR_INVALID_PARAMETER);

        assertThat(f.dm.activateDeviceEx(devKey, new RegIni[1], 1, new Probe())).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_ACCESS);
        assertThat(f.dm.activateDeviceEx(devKey, null, 7, new Probe()))
                .as("a count without an array is ignored, as in CE")
                .isNotNull();

        assertThat(f.dm.deactivateDevice(null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);
        assertThat(f.dm.deactivateDevice(new ActivationHandle() {})).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);
        ActivationHandle h = f.dm.activeDevices().get(0).device();
        assertThat(f.dm.deactivateDevice(h)).isTrue();
        assertThat(f.dm.deactivateDevice(h)).as("twice").isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);

        assertThat(f.dm.openDeviceKey(null)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(f.dm.openDeviceKey("Drivers\\Active\\99")).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_FILE_NOT_FOUND);
        assertThat(f.dm.regOpenKeyEx("No\\Such\\Key")).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_FILE_NOT_FOUND);
        assertThat(f.dm.regCreateKeyEx("")).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
    }

    @Test
    void aUsbClientDriversKey_isTheOneOpenClientRegistryKeyReturns() {
        f.usbd.registerDriver(
                "LbkClient", UsbDriverSettings.forVendor(0x1209, 0x7777), (d, u, i, id, accept, s, unused) -> true);
        ClientRegistryKey usbd = f.usbd.funcs().openClientRegistryKey("LbkClient");
        usbd.setString("Dll", Probe.PreDriver.class.getName());
        usbd.setString("Prefix", "CLI");
        char[] path = new char[261];
        assertThat(f.usbd.funcs().getClientRegistryPath(path, path.length, "LbkClient"))
                .isTrue();
        String devKey = new String(path, 0, new String(path).indexOf('\0'));

        markLastError();
        assertThat(f.dm.regOpenKeyEx(devKey)).as("the same store").isSameAs(usbd);
        assertThat(f.dm.regOpenKeyEx("Drivers\\USB\\ClientDrivers\\NotRegistered"))
                .isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_FILE_NOT_FOUND);
        Probe p = new Probe();
        assertThat(f.dm.activateDeviceEx(devKey, null, 0, p)).isNotNull();
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::legacyName)
                .containsExactly("CLI1:");
    }

    /**
     * Registry value names do not depend on case, in a USB client driver's key as in the device manager's own
     * keys (reference page of the device manager, [§D2](reference/ce-devmgr.html#d2)): a driver that writes
     * {@code DLL} and {@code PREFIX} is loaded and named, and a {@code null} name reads as absent in both.
     */
    @Test
    void valueNames_ignoreCase_inAUsbClientDriversKeyToo() {
        f.usbd.registerDriver(
                "CaseClient", UsbDriverSettings.forVendor(0x1209, 0x7778), (d, u, i, id, accept, s, unused) -> true);
        ClientRegistryKey usbd = f.usbd.funcs().openClientRegistryKey("CaseClient");
        usbd.setString("DLL", Probe.PreDriver.class.getName());
        usbd.setString("PREFIX", "CAS");
        usbd.setDword("index", 4);
        usbd.setDword("Index", 5); // the same value, written again
        assertThat(usbd.valueNames()).containsExactlyInAnyOrder("DLL", "PREFIX", "index");
        char[] path = new char[261];
        assertThat(f.usbd.funcs().getClientRegistryPath(path, path.length, "CaseClient"))
                .isTrue();
        String devKey = new String(path, 0, new String(path).indexOf('\0'));

        assertThat(f.dm.activateDeviceEx(devKey, null, 0, new Probe())).isNotNull();
        assertThat(f.dm.activeDevices())
                .extracting(DeviceInformation::legacyName)
                .containsExactly("CAS5:");

        ClientRegistryKey own = f.dm.regCreateKeyEx("Drivers\\Test\\Case");
        for (ClientRegistryKey k : List.of(usbd, own)) {
            assertThat(k.queryString(null)).isNull();
            assertThat(k.queryDword(null, 7)).isEqualTo(7);
            assertThat(k.deleteValue(null)).isFalse();
            assertThat(k.deleteValue("prefix")).isEqualTo(k == usbd);
        }
    }
}
