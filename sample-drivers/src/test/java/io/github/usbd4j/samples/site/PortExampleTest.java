package io.github.usbd4j.samples.site;

import static io.github.usbd4j.ce.UsbTypes.USB_CANCELED_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;
import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NOT_COMPLETE_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientDriverRegistration;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The port walked through on the site's porting guide (src-site/markdown/porting-guide.md): the Java
 * MicCapture driver runs here against the simulated UAC1 microphone, registered both ways, and the page
 * must show exactly the code between the snippet markers.
 */
class PortExampleTest {

    // snippet:driver
    /** MicCapture.dll, ported: 4 transfers of 8 frames in flight on iso IN, resubmitted from the callback. */
    public static class MicCaptureDriver implements UsbClientDriver {
        static final int NUM_XFERS = 4;
        static final int FRAMES = 8;
        static final int PKT = 96; // 48 kHz, 16-bit mono: 96 bytes per 1 ms frame

        /** SLOT: one transfer's handle, lengths and buffer, reused for every transfer it issues. */
        static final class Slot {
            UsbTransfer transfer;
            final int[] lengths = new int[FRAMES];
            final ByteBuffer buf = ByteBuffer.allocateDirect(FRAMES * PKT);
        }

        private volatile UsbFuncs funcs;
        private volatile UsbPipe pipe;
        private volatile boolean closing;
        final AtomicLong frames = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong errorFrames = new AtomicLong();

        @Override
        public boolean usbDeviceAttach(
                UsbHandle hDevice,
                UsbFuncs usbFuncs,
                UsbInterface usbInterface,
                String uniqueDriverId,
                boolean[] acceptControl,
                UsbDriverSettings driverSettings,
                int unused) {
            acceptControl[0] = false;
            UsbDevice info = usbFuncs.getDeviceInfo(hDevice);
            UsbInterface alt = usbFuncs.findInterface(info, 1, 1);
            if (alt == null || alt.endpoints().isEmpty()) {
                return true;
            }
            UsbTransfer t = usbFuncs.setInterface(hDevice, null, null, 0, 1, 1); // no callback: synchronous
            if (t == null) {
                return true;
            }
            usbFuncs.closeTransfer(t);
            funcs = usbFuncs;
            pipe = usbFuncs.openPipe(hDevice, alt.endpoints().get(0).descriptor());
            if (pipe == null) {
                return true;
            }
            usbFuncs.registerNotificationRoutine(hDevice, this::deviceNotify, this);
            for (int i = 0; i < NUM_XFERS; i++) {
                Slot s = new Slot();
                Arrays.fill(s.lengths, PKT);
                issue(s);
            }
            acceptControl[0] = true;
            return true;
        }

        private void issue(Slot s) {
            synchronized (s) { // the callback may run before issueIsochTransfer returns: it waits for the handle
                s.transfer = funcs.issueIsochTransfer(
                        pipe,
                        this::isochDone,
                        s,
                        USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK,
                        0,
                        FRAMES,
                        s.lengths,
                        s.buf.clear(),
                        0);
                if (s.transfer == null) {
                    System.err.println("IssueIsochTransfer: " + Win32.errorName(Win32.getLastError()));
                }
            }
        }

        /** The LPTRANSFER_NOTIFY_ROUTINE: runs once per transfer, also when it was cancelled. */
        private int isochDone(Object ctx) {
            Slot s = (Slot) ctx;
            int[] status = new int[1];
            synchronized (s) {
                int[] len = new int[FRAMES];
                int[] err = new int[FRAMES];
                funcs.getIsochResults(s.transfer, FRAMES, len, err);
                funcs.getTransferStatus(s.transfer, null, status);
                consume(s.buf, len, err);
                funcs.closeTransfer(s.transfer);
                s.transfer = null;
            }
            if (!closing && status[0] != USB_CANCELED_ERROR) {
                issue(s);
            }
            return 0;
        }

        private void consume(ByteBuffer buf, int[] len, int[] err) {
            for (int k = 0; k < FRAMES; k++) {
                if (err[k] == USB_CANCELED_ERROR || err[k] == USB_NOT_COMPLETE_ERROR) {
                    continue; // never reached the bus
                }
                frames.incrementAndGet();
                bytes.addAndGet(len[k]);
                if (err[k] != USB_NO_ERROR) {
                    errorFrames.incrementAndGet();
                }
                onSamples(buf.slice(k * PKT, len[k])); // without COMPRESS each frame keeps its slot
            }
        }

        /** Where the port hands frame data on; the original did its audio processing here. */
        protected void onSamples(ByteBuffer frame) {}

        /** The LPDEVICE_NOTIFY_ROUTINE. */
        private boolean deviceNotify(Object ctx, int code, int[] i1, int[] i2, int[] i3, int[] i4) {
            if (code != USB_CLOSE_DEVICE) {
                return false;
            }
            closing = true; // USBD closed the pipe already: every transfer completed with USB_CANCELED_ERROR
            return true;
        }
    }
    // snippet:end

    // snippet:registration
    /** What USBInstallDriver registered: the driver ID, the LoadClients settings, and the DLL to load. */
    public static class MicCaptureRegistration implements ClientDriverRegistration {
        @Override
        public String uniqueDriverId() {
            return "MicCapture";
        }

        @Override
        public UsbDriverSettings driverSettings() {
            return UsbDriverSettings.forVendor(0x1209, 0x0003);
        }

        @Override
        public UsbClientDriver newDriver() {
            return new MicCaptureDriver();
        }
    }
    // snippet:end

    @Test
    void theDriverCapturesFromTheSimulatedMicrophone() {
        // snippet:run
        SimulatedHostController sim = SimulatedHostController.builder()
                .speed(UsbSpeed.FULL)
                .clockMode(SimulatedHostController.ClockMode.VIRTUAL)
                .build();
        MicCaptureDriver driver = new MicCaptureDriver();
        try (Usbd usbd = Usbd.builder().backend(sim).build()) {
            usbd.registerDriver("MicCapture", UsbDriverSettings.forVendor(0x1209, 0x0003), driver);
            SimulatedDevice mic = sim.attach(new Uac1Microphone());
            sim.advanceFrames(1_000); // one second of bus time
            sim.detach(mic); // unplug: transfers cancelled, then USB_CLOSE_DEVICE
        }
        // snippet:end
        assertThat(driver.frames.get()).isBetween(980L, 1_000L); // the first transfer starts 6 frames ahead
        assertThat(driver.bytes.get()).isEqualTo(driver.frames.get() * MicCaptureDriver.PKT);
        assertThat(driver.errorFrames.get()).isZero();
        assertThat(driver.closing).isTrue();
    }

    @Test
    void serviceLoaderFindsTheRegistration() {
        SimulatedHostController sim = SimulatedHostController.builder()
                .speed(UsbSpeed.FULL)
                .clockMode(SimulatedHostController.ClockMode.VIRTUAL)
                .build();
        try (Usbd usbd =
                Usbd.builder().backend(sim).loadDriversWithServiceLoader().build()) {
            sim.attach(new Uac1Microphone());
            assertThat(usbd.driversOf(usbd.devices().get(0))).containsExactly("MicCapture");
        }
    }

    @Test
    void thePageShowsThisCode() throws IOException {
        String page = Files.readString(Path.of("../src-site/markdown/porting-guide.md"), StandardCharsets.UTF_8);
        String source = Files.readString(
                Path.of("src/test/java/io/github/usbd4j/samples/site/PortExampleTest.java"), StandardCharsets.UTF_8);
        for (String name : List.of("driver", "registration", "run")) {
            assertThat(page).as("snippet %s", name).contains(SimulatedDeviceExampleTest.snippet(source, name));
        }
    }
}
