package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.samples.audio.Uac1MicrophoneDriver;
import io.github.usbd4j.sim.DeviceModel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The tool's libusb bus when the device cannot be opened, on a backend that reports a device whose open fails as
 * usb4java's does for one unplugged while it is opened (the real-kernel IT pulls a USB/IP device at that moment):
 * the wait ends at once, an I/O error (exit 4) that says the device left, not a "no device" (exit 3) after the
 * whole {@code --wait} that suggests a longer one.
 */
class LibusbBusTest {
    /** {@code --wait}'s default, which none of these runs may wait out. */
    private static final long WAIT_FRAMES = 120_000;

    @Test
    void aDeviceGoneWhenOpenedIsAnIoErrorSayingItLeft_atOnce() {
        ToolException e = awaitMicrophone(
                new BackendException("libusb:3-1 (1209:0003) has left the bus", PacketStatus.DEVICE_GONE), false);
        assertThat(e.exitCode()).isEqualTo(ExitCode.IO_ERROR);
        assertThat(e.getMessage())
                .isEqualTo("1209:0003 left the bus (was unplugged) while it was being opened:"
                        + " libusb:3-1 (1209:0003) has left the bus")
                .doesNotContain("--wait");
    }

    @Test
    void anOpenThatFailsOtherwiseAsTheDeviceLeavesSaysItLeft() {
        // libusb_open of a node the kernel is removing fails with LIBUSB_ERROR_IO; the departure follows
        ToolException e = awaitMicrophone(
                new BackendException("cannot open libusb:3-1: LIBUSB_ERROR_IO (-1)", PacketStatus.HOST_ERROR), true);
        assertThat(e.exitCode()).isEqualTo(ExitCode.IO_ERROR);
        assertThat(e.getMessage())
                .isEqualTo("1209:0003 left the bus (was unplugged) while it was being opened:"
                        + " cannot open libusb:3-1: LIBUSB_ERROR_IO (-1)");
    }

    @Test
    void aDeviceThatStaysButCannotBeOpenedIsAnIoErrorWithTheReason_notAWaitForIt() {
        ToolException e = awaitMicrophone(
                new BackendException(
                        "cannot open libusb:3-1: permission denied (LIBUSB_ERROR_ACCESS (-3))",
                        PacketStatus.HOST_ERROR),
                false);
        assertThat(e.exitCode()).isEqualTo(ExitCode.IO_ERROR);
        assertThat(e.getMessage())
                .isEqualTo("1209:0003 could not be opened:"
                        + " cannot open libusb:3-1: permission denied (LIBUSB_ERROR_ACCESS (-3))");
    }

    /**
     * The runtime on the tool's bus runs callbacks where the backend says (usb4java's: its event thread, with no
     * hand-off) and asks it whether a thread completes transfers, as it would on the backend alone.
     */
    @Test
    void theBusLeavesWhereCallbacksRunToTheBackend() {
        java.util.Set<String> asked = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.Executor eventThread = Runnable::run;
        HostController backend = new FailingBackend(new BackendException("x", PacketStatus.HOST_ERROR), false) {
            @Override
            public java.util.Optional<java.util.concurrent.Executor> callbackExecutor() {
                asked.add("callbackExecutor");
                return java.util.Optional.of(eventThread);
            }

            @Override
            public boolean isCompletionThread() {
                asked.add("isCompletionThread");
                return false;
            }
        };
        Uac1MicrophoneDriver d = new Uac1MicrophoneDriver(1000);
        try (LibusbBus bus = new LibusbBus(backend, null, d::problemWith, null)) {
            bus.register("mic", Uac1MicrophoneDriver.settings(), d);
            bus.await(d.attachment(), 100);
            bus.usbd().close(); // the engine asks whether it may wait here
        }
        assertThat(asked).contains("callbackExecutor", "isCompletionThread");
    }

    /**
     * Runs the microphone driver on a bus whose one device fails to open with {@code failure} (and then leaves, if
     * {@code thenLeaves}), as {@code usbd record} waits for it; returns what ended the wait, which must end long
     * before {@link #WAIT_FRAMES}.
     */
    private static ToolException awaitMicrophone(BackendException failure, boolean thenLeaves) {
        FailingBackend backend = new FailingBackend(failure, thenLeaves);
        Uac1MicrophoneDriver d = new Uac1MicrophoneDriver(1000);
        long start = System.nanoTime();
        ToolException e;
        try (LibusbBus bus = new LibusbBus(backend, null, d::problemWith, null)) {
            bus.register("mic", Uac1MicrophoneDriver.settings(), d);
            e = catchThrowableOfType(
                    ToolException.class,
                    () -> bus.awaitTaken(d.attachment(), new CompletableFuture<>(), WAIT_FRAMES, "1209:0003"));
        }
        assertThat((System.nanoTime() - start) / 1_000_000)
                .as("ms until the tool gave up: at once, not after --wait")
                .isLessThan(WAIT_FRAMES / 4);
        assertThat(e).as("the wait ended with an error").isNotNull();
        assertThat(d.attachment()).as("the driver was never offered the device").isNotDone();
        return e;
    }

    /** A real-time backend with the built-in microphone, which cannot be opened. */
    private static class FailingBackend implements HostController {
        private final BackendException failure;
        private final boolean thenLeaves;
        private final DeviceModel model = SimDevices.byId(0x1209, 0x0003).orElseThrow();
        private final Device device = new Device();
        private HostListener listener;

        FailingBackend(BackendException failure, boolean thenLeaves) {
            this.failure = failure;
            this.thenLeaves = thenLeaves;
        }

        @Override
        public String name() {
            return "failing";
        }

        @Override
        public void start(HostListener l) {
            listener = l;
            l.deviceAttached(device);
        }

        @Override
        public BusClock clock() {
            return CLOCK;
        }

        @Override
        public void close() {}

        private final class Device implements BackendDevice {
            @Override
            public String location() {
                return "libusb:3-1 (1209:0003)";
            }

            @Override
            public UsbSpeed speed() {
                return model.speed();
            }

            @Override
            public byte[] deviceDescriptor() {
                return model.deviceDescriptor().toBytes();
            }

            @Override
            public List<byte[]> configurationDescriptors() {
                return model.configurationDescriptors();
            }

            @Override
            public int activeConfigurationValue() {
                return 1;
            }

            @Override
            public void open() throws BackendException {
                if (thenLeaves) {
                    // the hot-plug departure, on another thread, as the open fails
                    Thread departure = new Thread(() -> listener.deviceDetached(this), "hot-plug");
                    departure.setDaemon(true);
                    departure.start();
                }
                throw failure;
            }

            @Override
            public void close() {}

            @Override
            public boolean reservePeriodic(int endpointAddress, TransferType type, int bytesPerInterval, int period) {
                return false;
            }

            @Override
            public void releasePeriodic(int endpointAddress) {}

            @Override
            public void submit(BackendTransfer transfer) throws BackendException {
                throw new BackendException("not open", PacketStatus.HOST_ERROR);
            }

            @Override
            public void cancel(BackendTransfer transfer) {}

            @Override
            public void resetEndpoint(int endpointAddress) {}

            @Override
            public boolean suspend() {
                return false;
            }

            @Override
            public boolean resume() {
                return false;
            }

            @Override
            public boolean disable(boolean reenumerate) {
                return false;
            }
        }
    }

    /** Real time, in 1 ms frames. */
    private static final BusClock CLOCK = new BusClock() {
        @Override
        public long currentFrame() {
            return System.nanoTime() / 1_000_000;
        }

        @Override
        public long currentMicroframe() {
            return System.nanoTime() / 125_000;
        }

        @Override
        public boolean isVirtual() {
            return false;
        }

        @Override
        public boolean runUntil(BooleanSupplier done, long maxFrames) {
            return done.getAsBoolean();
        }

        @Override
        public int frameLength() {
            return 12_000;
        }

        @Override
        public boolean adjustFrameLength(int target, Runnable reached) {
            return false;
        }
    };
}
