package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_INFO;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_FOUND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Speaker;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CE's client-driver loading and matching, end to end on the simulator ([§1.5](reference/ce-usbd.html#s1-5)). */
class UsbdRuntimeTest {
    enum Mode {
        ACCEPT,
        DECLINE,
        THROW
    }

    /** A driver that records what it is offered and answers as told. */
    static final class Drv implements UsbClientDriver {
        final Mode mode;
        final boolean installs;
        final List<Integer> offeredInterfaces = new CopyOnWriteArrayList<>(); // -1: the whole device
        final List<String> installed = new CopyOnWriteArrayList<>();
        int uninstalls;
        volatile UsbHandle device;
        volatile UsbFuncs funcs;

        Drv(Mode mode) {
            this(mode, true);
        }

        Drv(Mode mode, boolean installs) {
            this.mode = mode;
            this.installs = installs;
        }

        @Override
        public boolean usbDeviceAttach(
                UsbHandle hDevice,
                UsbFuncs usbFuncs,
                UsbInterface usbInterface,
                String uniqueDriverId,
                boolean[] acceptControl,
                UsbDriverSettings driverSettings,
                int unused) {
            offeredInterfaces.add(
                    usbInterface == null ? -1 : usbInterface.descriptor().bInterfaceNumber());
            if (mode == Mode.THROW) {
                throw new IllegalStateException("driver bug");
            }
            acceptControl[0] = mode == Mode.ACCEPT;
            if (acceptControl[0]) {
                device = hDevice;
                funcs = usbFuncs;
            }
            return true;
        }

        @Override
        public boolean usbInstallDriver(String driverLibFile) {
            installed.add(driverLibFile);
            return installs;
        }

        @Override
        public synchronized boolean usbUnInstallDriver() {
            uninstalls++;
            return true;
        }
    }

    private SimulatedHostController sim;
    private Usbd usbd;

    @BeforeEach
    void setUp() {
        sim = SimulatedHostController.builder().speed(UsbSpeed.HIGH).build();
        usbd = Usbd.builder().backend(sim).build();
    }

    @AfterEach
    void tearDown() {
        usbd.close();
    }

    private static final UsbDriverSettings LOOPBACK = UsbDriverSettings.forVendor(0x1209, LoopbackDevice.PRODUCT_ID);
    private static final UsbDriverSettings VENDOR_CLASS = UsbDriverSettings.forDeviceClass(0xFF, 0, 0);

    @Test
    void vendorDriver_beatsAClassDriver_whateverTheRegistrationOrder() {
        Drv byClass = new Drv(Mode.ACCEPT);
        Drv byVendor = new Drv(Mode.ACCEPT);
        usbd.registerDriver("ByClass", VENDOR_CLASS, byClass);
        usbd.registerDriver("ByVendor", LOOPBACK, byVendor);
        sim.attach(LoopbackDevice.highSpeed());

        assertThat(byVendor.offeredInterfaces).containsExactly(-1);
        assertThat(byClass.offeredInterfaces)
                .as("never asked once the vendor driver accepted")
                .isEmpty();
        assertThat(usbd.driversOf(usbd.devices().get(0))).containsExactly("ByVendor");
    }

    @Test
    void decliningOrThrowingDrivers_areSkipped_theNextCandidateGetsTheDevice() {
        Drv declines = new Drv(Mode.DECLINE);
        Drv throwsUp = new Drv(Mode.THROW);
        Drv byClass = new Drv(Mode.ACCEPT);
        usbd.registerDriver("Declines", LOOPBACK, declines);
        usbd.registerDriver("Throws", LOOPBACK, throwsUp);
        usbd.registerDriver("ByClass", VENDOR_CLASS, byClass);
        sim.attach(LoopbackDevice.highSpeed());

        assertThat(declines.offeredInterfaces).containsExactly(-1);
        assertThat(throwsUp.offeredInterfaces)
                .as("§1.5 an exception counts as not accepted")
                .containsExactly(-1);
        assertThat(byClass.offeredInterfaces).containsExactly(-1);
        assertThat(byClass.device).isNotNull();
        assertThat(usbd.driversOf(byClass.device)).containsExactly("ByClass");
    }

    @Test
    void withoutADeviceLevelDriver_eachInterfaceIsOfferedSeparately() {
        Drv control = new Drv(Mode.ACCEPT);
        Drv streaming = new Drv(Mode.ACCEPT);
        usbd.registerDriver("AudioControl", UsbDriverSettings.forInterfaceClass(0x01, 0x01, USB_NO_INFO), control);
        usbd.registerDriver("AudioStreaming", UsbDriverSettings.forInterfaceClass(0x01, 0x02, USB_NO_INFO), streaming);
        sim.attach(new Uac1Speaker());

        assertThat(control.offeredInterfaces).containsExactly(0);
        assertThat(streaming.offeredInterfaces).containsExactly(1);
        assertThat(control.device).isSameAs(streaming.device);
        assertThat(usbd.driversOf(control.device)).containsExactly("AudioControl", "AudioStreaming");
    }

    @Test
    void registration_callsUsbInstallDriver_falseIsIllegalState() {
        Drv ok = new Drv(Mode.ACCEPT);
        usbd.registerDriver("Ok", LOOPBACK, ok);
        assertThat(ok.installed).containsExactly("Ok");

        Drv refuses = new Drv(Mode.ACCEPT, false);
        assertThatThrownBy(() -> usbd.registerDriver("Refuses", VENDOR_CLASS, refuses))
                .isInstanceOf(IllegalStateException.class);
        assertThat(refuses.installed).containsExactly("Refuses");
        sim.attach(LoopbackDevice.highSpeed());
        assertThat(refuses.offeredInterfaces).as("not registered").isEmpty();
    }

    @Test
    void unregisterAndClose_callUsbUnInstallDriver() {
        Drv a = new Drv(Mode.ACCEPT);
        Drv b = new Drv(Mode.ACCEPT);
        usbd.registerDriver("A", LOOPBACK, a);
        usbd.registerDriver("B", VENDOR_CLASS, b);
        assertThat(usbd.unregisterDriver("A")).isTrue();
        assertThat(a.uninstalls).isEqualTo(1);
        assertThat(usbd.unregisterDriver("A")).isFalse();
        assertThat(b.uninstalls).isZero();

        usbd.close();
        assertThat(b.uninstalls).isEqualTo(1);
        assertThat(a.uninstalls).isEqualTo(1);
    }

    @Test
    void duplicateDriverId_isIllegalArgument() {
        usbd.registerDriver("Same", LOOPBACK, new Drv(Mode.ACCEPT));
        Drv second = new Drv(Mode.ACCEPT);
        assertThatThrownBy(() -> usbd.registerDriver("Same", VENDOR_CLASS, second))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(second.installed).as("never installed").isEmpty();
    }

    @Test
    void driverRegisteredAfterTheDeviceArrived_getsIt() {
        sim.attach(LoopbackDevice.highSpeed());
        UsbHandle dev = usbd.devices().get(0);
        assertThat(usbd.driversOf(dev)).isEmpty();

        Drv late = new Drv(Mode.ACCEPT);
        usbd.registerDriver("Late", LOOPBACK, late);
        assertThat(late.device).isSameAs(dev);
        assertThat(usbd.driversOf(dev)).containsExactly("Late");
    }

    @Test
    void loadGenericInterfaceDriver_handsAnInterfaceToAnotherDriver() {
        Drv whole = new Drv(Mode.ACCEPT);
        usbd.registerDriver("Whole", LOOPBACK, whole);
        sim.attach(LoopbackDevice.highSpeed());
        UsbFuncs f = whole.funcs;
        UsbInterface bulk = f.findInterface(f.getDeviceInfo(whole.device), 1, 0);

        Win32.setLastError(0);
        assertThat(f.loadGenericInterfaceDriver(whole.device, bulk))
                .as("no candidate yet")
                .isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_FOUND);

        Drv ifaceDriver = new Drv(Mode.ACCEPT);
        usbd.registerDriver("VendorInterface", UsbDriverSettings.forInterfaceClass(0xFF, 0, 0), ifaceDriver);
        assertThat(ifaceDriver.offeredInterfaces)
                .as("the device is controlled: not offered at registration")
                .isEmpty();
        assertThat(f.loadGenericInterfaceDriver(whole.device, bulk)).isTrue();
        assertThat(ifaceDriver.offeredInterfaces).containsExactly(1);
        assertThat(ifaceDriver.device).isSameAs(whole.device);
        assertThat(usbd.driversOf(whole.device)).containsExactly("Whole", "VendorInterface");
    }

    @Test
    void serviceLoaderDiscovery_registersTheDriverFromMetaInfServices() {
        ServiceLoadedDriver.ATTACHED.clear();
        SimulatedHostController sim2 = SimulatedHostController.builder().build();
        try (Usbd discovered =
                Usbd.builder().backend(sim2).loadDriversWithServiceLoader().build()) {
            sim2.attach(new TestModels.HidLike());
            assertThat(ServiceLoadedDriver.ATTACHED).containsExactly(ServiceLoadedDriver.ID);
            assertThat(discovered.driversOf(discovered.devices().get(0))).containsExactly(ServiceLoadedDriver.ID);
        }
    }

    @Test
    void withoutServiceLoader_theRegistrationIsNotPickedUp() {
        SimulatedHostController sim2 = SimulatedHostController.builder().build();
        try (Usbd plain = Usbd.builder().backend(sim2).build()) {
            sim2.attach(new TestModels.HidLike());
            assertThat(plain.driversOf(plain.devices().get(0))).isEmpty();
        }
    }
}
