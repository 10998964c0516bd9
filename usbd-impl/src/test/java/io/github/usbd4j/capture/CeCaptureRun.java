package io.github.usbd4j.capture;

import static io.github.usbd4j.ce.UsbTypes.*;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CE client on the simulated loopback device, captured: short IN frames (queued by an OUT transfer and
 * read without {@code USB_SHORT_TRANSFER_OK}), CRC errors and a missed frame, with every
 * {@code GetIsochResults} and every frame's bytes kept for comparison with the capture.
 */
final class CeCaptureRun {
    static final int FRAMES = 8;
    static final int TRANSFERS = 25;
    static final int[] SHORT_LENGTHS = {1, 100, 200, 300, 2, 511, 64, 512};

    /** One IN transfer as the driver saw it. */
    @SuppressWarnings("ArrayRecordComponent") // read element by element, never compared whole
    record InResult(int[] lengths, int[] errors, byte[][] frameData, int dwError) {}

    final List<InResult> in = new ArrayList<>();
    long captureRecords;

    static final class Driver implements UsbClientDriver {
        volatile UsbHandle device;
        volatile UsbFuncs funcs;

        @Override
        public boolean usbDeviceAttach(
                UsbHandle h, UsbFuncs f, UsbInterface i, String id, boolean[] accept, UsbDriverSettings s, int u) {
            funcs = f;
            device = h;
            accept[0] = true;
            return true;
        }
    }

    static CeCaptureRun run(Path file, long maxBytes) throws IOException {
        FaultPlan faults = FaultPlan.builder()
                .packetErrorRate(0x81, 0.05, PacketStatus.CRC)
                .missedFrame(100)
                .build();
        return run(LoopbackDevice.fullSpeed(), faults, file, maxBytes);
    }

    /** The same run against a replay of a capture of it, captured again. */
    static CeCaptureRun replay(DeviceModel model, Path file) throws IOException {
        return run(model, FaultPlan.NONE, file, 1L << 30);
    }

    private static CeCaptureRun run(DeviceModel model, FaultPlan faults, Path file, long maxBytes) throws IOException {
        CeCaptureRun r = new CeCaptureRun();
        SimulatedHostController sim =
                SimulatedHostController.builder().speed(UsbSpeed.FULL).seed(42).build();
        Driver d = new Driver();
        try (Usbd usbd = Usbd.builder()
                .backend(sim)
                .capture(CaptureTap.toFile(file, maxBytes))
                .build()) {
            usbd.registerDriver(
                    "CaptureTest", UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID), d);
            sim.attach(model, faults);
            sim.advanceFrames(2);
            UsbFuncs f = d.funcs;
            UsbTransfer select = f.setInterface(d.device, null, null, 0, 0, 1);
            f.closeTransfer(select);
            UsbInterface alt = f.findInterface(f.getDeviceInfo(d.device), 0, 1);
            UsbPipe out = f.openPipe(d.device, alt.findEndpoint(0x01).descriptor());
            UsbPipe inPipe = f.openPipe(d.device, alt.findEndpoint(0x81).descriptor());
            ByteBuffer outData = ByteBuffer.allocate(FRAMES * 512);
            for (int i = 0; i < outData.capacity(); i++) {
                outData.put(i, (byte) (i * 7));
            }
            UsbTransfer o =
                    f.issueIsochTransfer(out, null, null, USB_START_ISOCH_ASAP, 0, FRAMES, SHORT_LENGTHS, outData, 0);
            if (o == null) {
                throw new IllegalStateException("OUT: " + Win32.errorName(Win32.getLastError()));
            }
            f.closeTransfer(o);
            int[] lengths = new int[FRAMES];
            java.util.Arrays.fill(lengths, 512);
            for (int n = 0; n < TRANSFERS; n++) {
                ByteBuffer buf = ByteBuffer.allocateDirect(FRAMES * 512);
                UsbTransfer t = f.issueIsochTransfer(
                        inPipe, null, null, USB_IN_TRANSFER | USB_START_ISOCH_ASAP, 0, FRAMES, lengths, buf, 0);
                if (t == null) {
                    throw new IllegalStateException("IN: " + Win32.errorName(Win32.getLastError()));
                }
                int[] len = new int[FRAMES];
                int[] err = new int[FRAMES];
                f.getIsochResults(t, FRAMES, len, err);
                int[] dw = new int[1];
                f.getTransferStatus(t, null, dw);
                byte[][] data = new byte[FRAMES][];
                for (int k = 0; k < FRAMES; k++) {
                    data[k] = new byte[len[k]];
                    buf.get(k * 512, data[k]);
                }
                r.in.add(new InResult(len, err, data, dw[0]));
                f.closeTransfer(t);
            }
            f.closePipe(inPipe);
            f.closePipe(out);
            r.captureRecords = usbd.capture().records();
        }
        return r;
    }

    /** The usbmon errno a CE frame error stands for (what Linux reports for the same bus event). */
    static int errnoOf(int ceError) {
        return switch (ceError) {
            case USB_NO_ERROR -> 0;
            case USB_CRC_ERROR, USB_DATA_TOGGLE_MISMATCH_ERROR -> Usbmon.EILSEQ;
            case USB_BIT_STUFFING_ERROR, USB_PID_CHECK_FAILURE_ERROR, USB_UNEXPECTED_PID_ERROR -> Usbmon.EPROTO;
            case USB_STALL_ERROR -> Usbmon.EPIPE;
            case USB_DEVICE_NOT_RESPONDING_ERROR -> Usbmon.ETIME;
            case USB_DATA_OVERRUN_ERROR -> Usbmon.EOVERFLOW;
            case USB_DATA_UNDERRUN_ERROR -> Usbmon.EREMOTEIO;
            case USB_BUFFER_OVERRUN_ERROR -> Usbmon.ECOMM;
            case USB_BUFFER_UNDERRUN_ERROR -> Usbmon.ENOSR;
            case USB_NOT_ACCESSED_ERROR -> Usbmon.EXDEV;
            default -> throw new IllegalArgumentException("no usbmon errno for " + errorName(ceError));
        };
    }
}
