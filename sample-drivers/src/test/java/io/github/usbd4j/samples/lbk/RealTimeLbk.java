package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.devmgr.WinBase.INFINITE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * The LBK driver on one full-speed loopback device on a real-time bus, its reads waiting INFINITE: for tests of a
 * close that must reach a read another thread is waiting in. Nothing is timed: such a read ends only if the close
 * reaches it, and {@link #HANG_GUARD} only turns a hang into a failure.
 */
final class RealTimeLbk implements AutoCloseable {
    /** Only turns a hang into a failure: what the real-time tests wait for happens at once when the code is right. */
    static final Duration HANG_GUARD = Duration.ofSeconds(30);

    final Usbd usbd;
    final DeviceManager dm;
    final LbkUsbDriver driver;

    /** Builds the bus and waits until the driver has the device (on the runtime's attach thread). */
    RealTimeLbk() throws InterruptedException {
        SimulatedHostController sim = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .build();
        usbd = Usbd.builder().backend(sim).build();
        dm = usbd.deviceManager();
        driver = new LbkUsbDriver(dm);
        usbd.registerDriver(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), driver);
        usbd.funcs().openClientRegistryKey(LbkUsbDriver.DRIVER_ID).setDword(LbkStream.READ_TIMEOUT_VALNAME, INFINITE);
        sim.attach(LoopbackDevice.fullSpeed());
        awaitWall(
                "USBDeviceAttach (on the runtime's attach thread)",
                () -> !driver.devices().isEmpty());
    }

    /** The driver's device. */
    LbkDevice device() {
        return driver.devices().get(0);
    }

    /** A daemon thread that reads 8 bytes from {@code h} and puts the last error of a failed read in {@code errors[i]}. */
    Thread reader(FileHandle h, int[] errors, int i) {
        Thread t = new Thread(() -> {
            if (!dm.readFile(h, ByteBuffer.allocate(8), 8, new int[1], null)) {
                errors[i] = Win32.getLastError();
            }
        });
        t.setDaemon(true); // a read the defect leaves waiting INFINITE does not hold the JVM
        return t;
    }

    /**
     * Whether {@code reader} is parked in {@code WaitForSingleObject}: past every check a close could meet before the
     * wait, so only LBK_PreClose's event can end the read.
     */
    static boolean waitingOnItsEvent(Thread reader) {
        return reader.getState() == Thread.State.WAITING
                && Arrays.stream(reader.getStackTrace())
                        .anyMatch(e -> e.getMethodName().equals("waitForSingleObject"));
    }

    /**
     * Polls for a state that other threads reach (the real-time bus and the runtime run on their own), failing only
     * after {@link #HANG_GUARD}: no assertion depends on how long it takes.
     */
    static void awaitWall(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + HANG_GUARD.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline)
                    .as("still waiting for %s", what)
                    .isNegative();
            Thread.sleep(1); // only to let the other threads run
        }
    }

    @Override
    public void close() {
        usbd.close();
    }
}
