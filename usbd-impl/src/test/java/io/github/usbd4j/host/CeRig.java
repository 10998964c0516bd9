package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.SimulatedHostController.ClockMode;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * A runtime with one CE test driver on the simulator, on either clock, optionally with the backend wrapped;
 * it records when {@code USB_CLOSE_DEVICE} arrived (bus frame and wall-clock time). Test bodies that could
 * deadlock run through {@link #bounded}, so a hang fails the test instead of the build.
 */
final class CeRig implements AutoCloseable, UsbClientDriver {
    final SimulatedHostController sim;
    final Usbd usbd;
    volatile UsbHandle device;
    volatile UsbFuncs f;
    volatile long closeDeviceFrame = -1;
    volatile long closeDeviceNanos = -1;
    final java.util.concurrent.atomic.AtomicInteger closeDevices = new java.util.concurrent.atomic.AtomicInteger();
    /** Open once USB_CLOSE_DEVICE has arrived (a hand-off for the real-time clock). */
    final java.util.concurrent.CountDownLatch closeDevice = new java.util.concurrent.CountDownLatch(1);

    SimulatedDevice plugged;

    /** How many USB_CLOSE_DEVICE notifications arrived. */
    int closeDeviceCount() {
        return closeDevices.get();
    }

    CeRig(UsbSpeed speed, ClockMode clock, UnaryOperator<HostController> wrap) {
        this(speed, clock, wrap, UnaryOperator.identity());
    }

    CeRig(UsbSpeed speed, ClockMode clock, UnaryOperator<HostController> wrap, UnaryOperator<Usbd.Builder> options) {
        this(speed, clock, UnaryOperator.identity(), wrap, options);
    }

    CeRig(
            UsbSpeed speed,
            ClockMode clock,
            UnaryOperator<SimulatedHostController.Builder> simOptions,
            UnaryOperator<HostController> wrap,
            UnaryOperator<Usbd.Builder> options) {
        sim = simOptions
                .apply(SimulatedHostController.builder()
                        .speed(speed)
                        .clockMode(clock)
                        .seed(3))
                .build();
        usbd = options.apply(Usbd.builder().backend(wrap.apply(sim))).build();
    }

    static CeRig virtual(DeviceModel model) {
        return new CeRig(model.speed(), ClockMode.VIRTUAL, UnaryOperator.identity()).plug(model);
    }

    /** On a virtual clock, with runtime options of the test's own. */
    static CeRig virtual(DeviceModel model, UnaryOperator<Usbd.Builder> options) {
        return new CeRig(model.speed(), ClockMode.VIRTUAL, UnaryOperator.identity(), options).plug(model);
    }

    static CeRig realTime(DeviceModel model, UnaryOperator<HostController> wrap) {
        return new CeRig(model.speed(), ClockMode.REAL_TIME, wrap).plug(model);
    }

    /**
     * On the real-time clock, where a callback may hold the clock thread for {@code callbackClockLimit} before the
     * clock moves away: long enough, it stays on the clock thread however the machine's load preempts it.
     */
    static CeRig realTime(DeviceModel model, Duration callbackClockLimit) {
        return new CeRig(
                        model.speed(),
                        ClockMode.REAL_TIME,
                        b -> b.callbackClockLimit(callbackClockLimit),
                        UnaryOperator.identity(),
                        UnaryOperator.identity())
                .plug(model);
    }

    CeRig plug(DeviceModel model) {
        var d = model.deviceDescriptor();
        usbd.registerDriver("CeRig", UsbDriverSettings.forVendor(d.idVendor(), d.idProduct()), this);
        plugged = sim.attach(model);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (device == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(device).as("the test driver got the device").isNotNull();
        return this;
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
        usbFuncs.registerNotificationRoutine(
                hDevice,
                (param, code, i1, i2, i3, i4) -> {
                    if (code == USB_CLOSE_DEVICE) {
                        closeDeviceFrame = sim.currentFrame();
                        closeDeviceNanos = System.nanoTime();
                        closeDevices.incrementAndGet();
                        closeDevice.countDown();
                    }
                    return true;
                },
                null);
        f = usbFuncs;
        device = hDevice;
        acceptControl[0] = true;
        return true;
    }

    /** Selects {@code alt} of {@code iface} synchronously, then opens {@code address} in it. */
    UsbPipe open(int iface, int alt, int address) {
        if (alt != 0) {
            UsbTransfer t = f.setInterface(device, null, null, 0, iface, alt);
            assertThat(t)
                    .as("SetInterface (last error %d)", Win32.getLastError())
                    .isNotNull();
            f.closeTransfer(t);
        }
        UsbEndpoint ep = f.findInterface(f.getDeviceInfo(device), iface, alt).findEndpoint(address);
        UsbPipe p = f.openPipe(device, ep.descriptor());
        assertThat(p)
                .as("OpenPipe 0x%02X (last error %d)", address, Win32.getLastError())
                .isNotNull();
        return p;
    }

    /**
     * Runs {@code body} on its own thread and fails if it has not returned within {@code limit} of wall
     * time (a deadlock); rethrows what it threw.
     */
    static void bounded(Duration limit, ThrowingRunnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(
                () -> {
                    try {
                        body.run();
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                },
                "bounded-test-body");
        t.setDaemon(true);
        t.start();
        t.join(limit.toMillis());
        if (t.isAlive()) {
            StringBuilder dump = new StringBuilder();
            Thread.getAllStackTraces().forEach((th, stack) -> {
                dump.append('\n').append(th.getName()).append(':');
                for (StackTraceElement e : stack) {
                    dump.append("\n    at ").append(e);
                }
            });
            throw new AssertionError("still running after " + limit + " (deadlock?)" + dump);
        }
        Throwable e = failure.get();
        if (e instanceof Exception ex) {
            throw ex;
        }
        if (e instanceof Error err) {
            throw err;
        }
    }

    /** A test body. */
    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Override
    public void close() {
        usbd.close();
    }
}
