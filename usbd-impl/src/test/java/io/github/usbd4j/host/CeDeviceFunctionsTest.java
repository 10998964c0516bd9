package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The device-level members of {@code USB_FUNCS} ([§1.6](reference/ce-usbd.html#s1-6) #1–#13, #39–#42): version, frame
 * number and length ([§1.9](reference/ce-usbd.html#s1-9)), device info, notifications
 * ([§1.5](reference/ce-usbd.html#s1-5)), the client registry.
 */
class CeDeviceFunctionsTest {
    private CeHost h;

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void getUSBDVersion_is1Point3() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        int[] major = {0};
        int[] minor = {0};
        h.f.getUSBDVersion(major, minor);
        assertThat(major[0]).isEqualTo(1);
        assertThat(minor[0]).as("§1.6 gcMinorUSBDVersion = 3").isEqualTo(3);
    }

    private int frameNumber() {
        int[] fr = {0};
        assertThat(h.f.getFrameNumber(h.device, fr)).isTrue();
        return fr[0];
    }

    @Test
    void getFrameNumber_equalsTheSimulatorsFrame() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        h.sim.advanceFrames(1234);
        assertThat(frameNumber()).isEqualTo((int) h.sim.currentFrame()).isEqualTo(1234);
        h.sim.advanceFrames(1);
        assertThat(frameNumber()).isEqualTo(1235);
    }

    @Test
    void getFrameNumber_acrossThe32BitWrap_isTheLow32Bits() {
        h = CeHost.with(LoopbackDevice.fullSpeed(), 0xFFFF_FFF0L);
        assertThat(Integer.toUnsignedLong(frameNumber())).isEqualTo(h.sim.currentFrame() & 0xFFFF_FFFFL);
        assertThat(Integer.toUnsignedLong(frameNumber())).isGreaterThanOrEqualTo(0xFFFF_FFF0L);
        h.sim.advanceFrames(0x20);
        assertThat(h.sim.currentFrame()).isGreaterThan(0xFFFF_FFFFL);
        assertThat(frameNumber()).isEqualTo((int) h.sim.currentFrame());
        assertThat(Integer.toUnsignedLong(frameNumber()))
                .as("wrapped past 2^32")
                .isLessThan(0x20);
    }

    @Test
    void getFrameLength_is12000BitTimes() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        int[] len = {0};
        assertThat(h.f.getFrameLength(h.device, len)).isTrue();
        assertThat(len[0]).as("§1.9 12000 = 1 ms").isEqualTo(12000);
    }

    @Test
    void frameLengthControl_isExclusive_ownerOnly_andSetFrameLengthSignalsItsEvent() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbHandle first = h.device;
        h.plug(LoopbackDevice.fullSpeed());
        UsbHandle second = h.device;
        assertThat(second).isNotSameAs(first);

        assertThat(h.f.takeFrameLengthControl(first)).isTrue();
        Win32.setLastError(0);
        assertThat(h.f.takeFrameLengthControl(second)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_BUSY);
        assertThat(h.f.releaseFrameLengthControl(second)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_ACCESS_DENIED);
        assertThat(h.f.setFrameLength(second, null, 12001))
                .as("§1.9 only the owner")
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_ACCESS_DENIED);

        assertThat(h.f.setFrameLength(first, null, 20000)).as("out of range").isFalse();
        assertThat(h.f.setFrameLength(first, null, 100)).isFalse();

        AtomicInteger signalled = new AtomicInteger();
        long start = h.sim.currentFrame();
        assertThat(h.f.setFrameLength(first, signalled::incrementAndGet, 12005)).isTrue();
        h.sim.advanceFrames(3);
        assertThat(signalled.get()).as("§1.9 the SOF period moves gradually").isZero();
        assertThat(h.sim.runUntil(() -> signalled.get() > 0, 100)).isTrue();
        assertThat(h.sim.currentFrame() - start).isBetween(4L, 6L);
        assertThat(signalled.get()).isEqualTo(1);
        int[] len = {0};
        h.f.getFrameLength(second, len);
        assertThat(len[0]).isEqualTo(12005);

        assertThat(h.f.releaseFrameLengthControl(first)).isTrue();
        assertThat(h.f.takeFrameLengthControl(second)).isTrue();
        h.f.setFrameLength(second, null, 12000);
        h.sim.advanceFrames(10);
    }

    @Test
    void frameLengthControl_isReleasedWhenTheOwnerDetaches() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        var firstSim = h.simDevice;
        UsbHandle first = h.device;
        h.plug(LoopbackDevice.fullSpeed());
        UsbHandle second = h.device;
        assertThat(h.f.takeFrameLengthControl(first)).isTrue();
        h.sim.detach(firstSim);
        assertThat(h.f.takeFrameLengthControl(second))
                .as("§1.9 released on detach")
                .isTrue();
    }

    @Test
    void getDeviceInfo_matchesTheDescriptors_andFindInterfaceFindsEachSetting() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbDevice info = h.f.getDeviceInfo(h.device);
        assertThat(info.descriptor()).isEqualTo(h.model.deviceDescriptor());
        assertThat(info.configs()).hasSize(1);
        assertThat(info.activeConfig().descriptor().bConfigurationValue()).isEqualTo(1);
        assertThat(info.activeConfig().descriptor().wTotalLength())
                .isEqualTo(h.model.configurationDescriptors().get(0).length);

        UsbInterface bulk = h.f.findInterface(info, 1, 0);
        assertThat(bulk.descriptor().bInterfaceNumber()).isEqualTo(1);
        assertThat(bulk.endpoints())
                .extracting(e -> e.descriptor().bEndpointAddress())
                .containsExactly(0x02, 0x82);
        UsbInterface iso2 = h.f.findInterface(info, 0, 2);
        assertThat(iso2.descriptor().bAlternateSetting()).isEqualTo(2);
        assertThat(iso2.findEndpoint(0x81).descriptor().bInterval()).isEqualTo(4);

        Win32.setLastError(0);
        assertThat(h.f.findInterface(info, 0, 9)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);
    }

    @Test
    void suspendAndResume_notifyTheRegisteredRoutine() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        assertThat(h.f.suspendDevice(h.device, 0)).isTrue();
        assertThat(h.f.resumeDevice(h.device, 0)).isTrue();
        assertThat(h.notifications).containsExactly(USB_SUSPENDED_DEVICE, USB_RESUMED_DEVICE);
    }

    @Test
    void disableDevice_withoutReset_closesTheDevice() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        UsbHandle d = h.device;
        assertThat(h.f.disableDevice(d, false, 0)).isTrue();
        assertThat(h.notifications).containsExactly(USB_CLOSE_DEVICE);
        assertThat(h.usbd.devices()).isEmpty();
        Win32.setLastError(0);
        assertThat(h.f.getDeviceInfo(d)).as("the handle is dead").isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
    }

    @Test
    void unRegisterNotificationRoutine_stopsNotifications_unknownIsNotFound() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        List<Integer> codes = new CopyOnWriteArrayList<>();
        DeviceNotifyRoutine r = (param, code, i1, i2, i3, i4) -> codes.add(code);
        assertThat(h.f.registerNotificationRoutine(h.device, r, "ctx")).isTrue();
        h.f.suspendDevice(h.device, 0);
        assertThat(codes).containsExactly(USB_SUSPENDED_DEVICE);

        assertThat(h.f.unRegisterNotificationRoutine(h.device, r, "ctx")).isTrue();
        h.f.resumeDevice(h.device, 0);
        assertThat(codes).as("no more notifications").containsExactly(USB_SUSPENDED_DEVICE);
        assertThat(h.notifications).as("the driver's own routine still runs").endsWith(USB_RESUMED_DEVICE);

        Win32.setLastError(0);
        assertThat(h.f.unRegisterNotificationRoutine(h.device, r, "ctx")).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);
        DeviceNotifyRoutine never = (param, code, i1, i2, i3, i4) -> true;
        assertThat(h.f.unRegisterNotificationRoutine(h.device, never, null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);
    }

    @Test
    void openClientRegistryKey_valuesPersistAcrossOpens_unknownIdIsInvalidParameter() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        try (ClientRegistryKey k = h.f.openClientRegistryKey(CeHost.DRIVER_ID)) {
            assertThat(k).isNotNull();
            k.setDword("Gain", 7);
            k.setString("Name", "left");
        }
        try (ClientRegistryKey k = h.f.openClientRegistryKey(CeHost.DRIVER_ID)) {
            assertThat(k.queryDword("Gain", -1)).isEqualTo(7);
            assertThat(k.queryString("Name")).isEqualTo("left");
            assertThat(k.valueNames()).containsExactlyInAnyOrder("Gain", "Name");
            assertThat(k.queryDword("Missing", -1)).isEqualTo(-1);
        }
        Win32.setLastError(0);
        assertThat(h.f.openClientRegistryKey("NoSuchDriver")).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
    }

    @Test
    void getClientRegistryPath_isNulTerminated_tooSmallIsInsufficientBuffer() {
        h = CeHost.with(LoopbackDevice.fullSpeed());
        String expected = "Drivers\\USB\\ClientDrivers\\" + CeHost.DRIVER_ID;
        char[] path = new char[USB_MAX_LOAD_STRING];
        assertThat(h.f.getClientRegistryPath(path, path.length, CeHost.DRIVER_ID))
                .isTrue();
        assertThat(new String(path, 0, expected.length())).isEqualTo(expected);
        assertThat(path[expected.length()]).isEqualTo('\0');

        char[] exact = new char[expected.length() + 1];
        assertThat(h.f.getClientRegistryPath(exact, exact.length, CeHost.DRIVER_ID))
                .isTrue();
        char[] small = new char[expected.length()];
        Win32.setLastError(0);
        assertThat(h.f.getClientRegistryPath(small, small.length, CeHost.DRIVER_ID))
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INSUFFICIENT_BUFFER);
        assertThat(h.f.getClientRegistryPath(path, path.length, "NoSuchDriver")).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
    }
}
