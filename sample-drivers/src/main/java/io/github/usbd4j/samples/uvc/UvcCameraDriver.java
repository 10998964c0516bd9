package io.github.usbd4j.samples.uvc;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A USB Video Class camera driver: commits the default probe, selects an alternate setting of the
 * VideoStreaming interface and reassembles video frames from the isochronous payloads, as the CE webcam
 * driver does (usb-iso-apis.md §1.11): each payload starts with a header ({@code bHeaderLength},
 * {@code bmHeaderInfo}); {@code EOF} ends a frame, a toggled {@code FID} starts a new one (a frame whose
 * {@code EOF} was lost is then delivered incomplete).
 *
 * <p>The frame size comes from the committed probe's {@code dwMaxVideoFrameSize}; width and height from
 * the VideoStreaming interface's first {@code VS_FRAME_UNCOMPRESSED} descriptor. A frame is complete when
 * it has exactly that many bytes and no packet of it reported an error.
 *
 * <p>Hooks: {@link #onVideoFrame} (default: saves complete frames to the output directory, if one is set,
 * as a PGM of the luma and optionally the raw YUY2), plus those of {@link IsochStreamingDriver}.
 */
public class UvcCameraDriver extends IsochStreamingDriver {
    /** {@code bmHeaderInfo}: frame ID. */
    public static final int FID = 0x01;
    /** {@code bmHeaderInfo}: end of frame. */
    public static final int EOF = 0x02;
    /** {@code bmHeaderInfo}: error. */
    public static final int ERR = 0x40;

    /** Registered for VideoStreaming interfaces (class 0x0E, subclass 2). */
    public static UsbDriverSettings settings() {
        return UsbDriverSettings.forInterfaceClass(0x0E, 0x02, UsbTypes.USB_NO_INFO);
    }

    private final int alternate;
    private final long wantedFrames;
    private final Path outDir;
    private final boolean saveRaw;

    private volatile int streamingInterface = 1;
    private volatile int width;
    private volatile int height;
    private volatile int frameSize;

    // touched only from the IN stream's callbacks
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private int currentFid = -1;
    private boolean currentDamaged;
    private long frameNumber;
    private volatile long completeFrames;
    private volatile long incompleteFrames;

    /**
     * @param alternateSetting the VideoStreaming alternate setting (1: 1 × 1024 bytes per microframe)
     * @param frames complete video frames to capture before ending the stream
     * @param outDir where {@link #onVideoFrame} saves frames, or {@code null}
     * @param saveRaw also save the raw YUY2 bytes
     */
    public UvcCameraDriver(int alternateSetting, long frames, Path outDir, boolean saveRaw) {
        this.alternate = alternateSetting;
        this.wantedFrames = frames;
        this.outDir = outDir;
        this.saveRaw = saveRaw;
        speed(UsbSpeed.HIGH);
    }

    /** Alternate setting 1, {@code frames} frames, nothing saved. */
    public UvcCameraDriver(long frames) {
        this(1, frames, null, false);
    }

    /**
     * A video frame ended (by EOF or by a FID toggle). Default: if complete and an output directory is
     * set, save it as {@code frame-NNNN.pgm} (luma) and, if asked, {@code frame-NNNN.yuy2}.
     *
     * @param n the frame's number, from 0, counting every frame that ended
     * @param frame its bytes
     * @param complete exactly {@code dwMaxVideoFrameSize} bytes and no packet error
     */
    protected void onVideoFrame(long n, byte[] frame, boolean complete) {
        if (outDir == null || !complete) {
            return;
        }
        try {
            Files.createDirectories(outDir);
            Files.write(outDir.resolve(String.format("frame-%04d.pgm", n)), toPgm(frame, width, height));
            if (saveRaw) {
                Files.write(outDir.resolve(String.format("frame-%04d.yuy2", n)), frame);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The luma (every even byte of YUY2) as a binary PGM image. */
    public static byte[] toPgm(byte[] yuy2, int width, int height) {
        byte[] header = ("P5\n" + width + " " + height + "\n255\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[header.length + width * height];
        System.arraycopy(header, 0, out, 0, header.length);
        for (int i = 0; i < width * height && 2 * i < yuy2.length; i++) {
            out[header.length + i] = yuy2[2 * i];
        }
        return out;
    }

    /** Complete frames so far. */
    public long completeFrames() {
        return completeFrames;
    }

    /** Frames that ended incomplete or damaged. */
    public long incompleteFrames() {
        return incompleteFrames;
    }

    /** Image width from the descriptors. */
    public int width() {
        return width;
    }

    /** Image height from the descriptors. */
    public int height() {
        return height;
    }

    /** Bytes of one frame, from the committed probe. */
    public int frameSize() {
        return frameSize;
    }

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            var d = i.descriptor();
            if (d.bInterfaceClass() == 0x0E
                    && d.bInterfaceSubClass() == 0x02
                    && d.bAlternateSetting() == alternate
                    && (offered == null || offered.descriptor().bInterfaceNumber() == d.bInterfaceNumber())) {
                streamingInterface = d.bInterfaceNumber();
                readFrameDescriptor(device.findInterface(d.bInterfaceNumber(), 0));
                return i;
            }
        }
        return null;
    }

    private void readFrameDescriptor(UsbInterface alt0) {
        byte[] x = alt0 == null ? new byte[0] : alt0.extended();
        for (int p = 0; p + 2 < x.length && (x[p] & 0xFF) > 0; p += x[p] & 0xFF) {
            if ((x[p + 1] & 0xFF) == 0x24 && (x[p + 2] & 0xFF) == 0x05 && p + 9 <= x.length) { // VS_FRAME_UNCOMPRESSED
                width = (x[p + 5] & 0xFF) | (x[p + 6] & 0xFF) << 8;
                height = (x[p + 7] & 0xFF) | (x[p + 8] & 0xFF) << 8;
                return;
            }
        }
    }

    /** Probe (GET_CUR), commit (SET_CUR) the device's current settings; read dwMaxVideoFrameSize. */
    @Override
    protected boolean configureDevice(UsbFuncs usbFuncs, UsbHandle device, UsbInterface alt) {
        ByteBuffer probe = ByteBuffer.allocate(26).order(ByteOrder.LITTLE_ENDIAN);
        int wIndex = streamingInterface;
        if (ControlRequests.issue(usbFuncs, device, new UsbDeviceRequest(0xA1, 0x81, 0x0100, wIndex, 26), probe) < 26) {
            return false;
        }
        probe.clear();
        if (ControlRequests.issue(usbFuncs, device, new UsbDeviceRequest(0x21, 0x01, 0x0200, wIndex, 26), probe) < 0) {
            return false;
        }
        frameSize = probe.getInt(18);
        return frameSize > 0;
    }

    @Override
    protected int framesPerTransfer(IsochStream stream) {
        return 32; // 4 ms of microframes
    }

    @Override
    protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
        if (completeFrames >= wantedFrames) {
            return; // enough: the transfers still in flight drain without delivering more frames
        }
        if (data.remaining() < 2) {
            return; // an empty packet
        }
        int headerLength = data.get(0) & 0xFF;
        int info = data.get(1) & 0xFF;
        if (headerLength < 2 || headerLength > data.remaining()) {
            currentDamaged = true;
            return;
        }
        int fid = info & FID;
        if (currentFid >= 0 && fid != currentFid && current.size() > 0) {
            endFrame(); // the previous frame lost its EOF
        }
        currentFid = fid;
        if (usbError != USB_NO_ERROR || (info & ERR) != 0) {
            currentDamaged = true;
        }
        byte[] payload = new byte[data.remaining() - headerLength];
        data.get(headerLength, payload);
        current.write(payload, 0, payload.length);
        if ((info & EOF) != 0) {
            endFrame();
        }
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the stream's callbacks run one at a time
    private void endFrame() {
        byte[] frame = current.toByteArray();
        boolean complete = !currentDamaged && frame.length == frameSize;
        current.reset();
        currentDamaged = false;
        currentFid = -1;
        if (complete) {
            completeFrames++;
        } else {
            incompleteFrames++;
        }
        onVideoFrame(frameNumber++, frame, complete);
        if (completeFrames >= wantedFrames) {
            requestStop();
        }
    }
}
