package io.github.usbd4j.samples.uvc;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.io.AtomicFile;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A USB Video Class camera driver: negotiates the camera's current format with the probe and commit
 * controls (UVC 1.5 §4.3.1.1: GET_CUR probe, SET_CUR probe, GET_CUR probe, SET_CUR commit) while the
 * VideoStreaming interface is at alternate setting 0, selects an alternate setting that carries the
 * committed {@code dwMaxPayloadTransferSize} (or the one asked for) and reassembles video frames from the
 * isochronous payloads, as the CE webcam driver does (<a href="{@docRoot}/../reference/ce-usbd.html#s1-11">§1.11</a>):
 * each payload starts with a header ({@code bHeaderLength}, {@code bmHeaderInfo}); {@code EOF} ends a frame, a toggled
 * {@code FID} starts a new one (a frame whose {@code EOF} was lost is then delivered incomplete).
 *
 * <p>The committed probe gives the format and frame indexes and {@code dwMaxVideoFrameSize}; the
 * VideoStreaming descriptors ({@link UvcDescriptors}) give the format (uncompressed, e.g. YUY2, or MJPEG)
 * and the frame's width and height. An uncompressed frame is complete when it has exactly
 * {@code dwMaxVideoFrameSize} bytes and no packet of it reported an error; an MJPEG frame when it is not
 * empty, not larger, and error-free.
 *
 * <p>Hooks: {@link #onVideoFrame} (default: saves complete frames to the output directory, if one is set:
 * YUY2 as a PGM of the luma and, if asked, the raw bytes; MJPEG as {@code .jpg}; other uncompressed
 * formats raw, named by their four-character code; each file written whole or not at all), plus those of
 * {@link IsochStreamingDriver}.
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

    private volatile int streamingInterface = -1;
    private volatile UvcDescriptors.Format format;
    private volatile int width;
    private volatile int height;
    private volatile int frameSize;
    private volatile int payloadSize;

    // touched only from the IN stream's callbacks
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private int currentFid = -1;
    private boolean currentDamaged;
    private long frameNumber;
    private volatile long completeFrames;
    private volatile long incompleteFrames;
    private final AtomicLong savedFiles = new AtomicLong();

    /**
     * @param alternateSetting the VideoStreaming alternate setting, or 0 for the smallest that carries the
     *     committed {@code dwMaxPayloadTransferSize}
     * @param frames complete video frames to capture before ending the stream
     * @param outDir where {@link #onVideoFrame} saves frames, or {@code null}
     * @param saveRaw also save the raw bytes of YUY2 frames
     */
    public UvcCameraDriver(int alternateSetting, long frames, Path outDir, boolean saveRaw) {
        this.alternate = alternateSetting;
        this.wantedFrames = frames;
        this.outDir = outDir;
        this.saveRaw = saveRaw;
        speed(UsbSpeed.HIGH);
    }

    /** The alternate setting chosen by bandwidth, {@code frames} frames, nothing saved. */
    public UvcCameraDriver(long frames) {
        this(0, frames, null, false);
    }

    /**
     * A video frame ended (by EOF or by a FID toggle). Default: if complete and an output directory is
     * set, save it (see the class comment), creating the directory with the first one. A file that cannot be written ends the stream ({@link #fail}).
     *
     * @param n the frame's number, from 0, counting every frame that ended
     * @param frame its bytes
     * @param complete see the class comment
     */
    protected void onVideoFrame(long n, byte[] frame, boolean complete) {
        if (outDir == null || !complete || failure().isPresent()) {
            return; // after a file could not be written, no more are (the stream is ending)
        }
        UvcDescriptors.Format f = format;
        String name = String.format(Locale.ROOT, "frame-%04d", n);
        try {
            if (savedFiles.get() == 0) {
                Files.createDirectories(outDir);
            }
            if (f.mjpeg()) {
                save(outDir.resolve(name + ".jpg"), frame);
            } else if (f.fourcc().equals("YUY2")) {
                save(outDir.resolve(name + ".pgm"), toPgm(frame, width, height));
                if (saveRaw) {
                    save(outDir.resolve(name + ".yuy2"), frame);
                }
            } else {
                save(outDir.resolve(name + "." + f.fourcc().toLowerCase(Locale.ROOT)), frame);
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    /** Writes one file whole and counts it. */
    private void save(Path file, byte[] bytes) throws IOException {
        AtomicFile.write(file, bytes);
        savedFiles.incrementAndGet();
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

    /** Files {@link #onVideoFrame} saved. */
    public long savedFiles() {
        return savedFiles.get();
    }

    /** Image width of the committed frame. */
    public int width() {
        return width;
    }

    /** Image height of the committed frame. */
    public int height() {
        return height;
    }

    /** Bytes of one frame at most, from the committed probe ({@code dwMaxVideoFrameSize}). */
    public int frameSize() {
        return frameSize;
    }

    /** The committed format, once negotiated. */
    public java.util.Optional<UvcDescriptors.Format> format() {
        return java.util.Optional.ofNullable(format);
    }

    /** The committed {@code dwMaxPayloadTransferSize}: bytes per service interval the stream needs. */
    public int payloadSize() {
        return payloadSize;
    }

    private static UsbInterface videoStreaming(UsbDevice device, UsbInterface offered) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            if (UvcDescriptors.isVideoStreaming(i)
                    && i.descriptor().bAlternateSetting() == 0
                    && (offered == null
                            || offered.descriptor().bInterfaceNumber()
                                    == i.descriptor().bInterfaceNumber())) {
                return i;
            }
        }
        return null;
    }

    private static List<UsbInterface> streamingAlternates(UsbDevice device, int number) {
        List<UsbInterface> out = new ArrayList<>();
        for (UsbInterface i : device.activeConfig().interfaces()) {
            if (i.descriptor().bInterfaceNumber() == number
                    && i.descriptor().bAlternateSetting() > 0
                    && isoIn(i) != null) {
                out.add(i);
            }
        }
        return out;
    }

    private static UsbEndpoint isoIn(UsbInterface i) {
        for (UsbEndpoint e : i.endpoints()) {
            if (e.descriptor().isIsochronous() && e.descriptor().isIn()) {
                return e;
            }
        }
        return null;
    }

    /** Refuses a device without a VideoStreaming interface with an uncompressed or MJPEG format (and the alternate setting asked for). */
    @Override
    public String problemWith(UsbDevice device, UsbSpeed speed) {
        UsbInterface vs = videoStreaming(device, null);
        if (vs == null) {
            return "it has no UVC VideoStreaming interface";
        }
        if (UvcDescriptors.formats(vs).isEmpty()) {
            return "its VideoStreaming interface has no uncompressed or MJPEG format";
        }
        List<UsbInterface> alts = streamingAlternates(device, vs.descriptor().bInterfaceNumber());
        if (alts.isEmpty()) {
            return "its VideoStreaming interface has no isochronous alternate setting";
        }
        if (alternate != 0 && alts.stream().noneMatch(i -> i.descriptor().bAlternateSetting() == alternate)) {
            return "its VideoStreaming interface " + vs.descriptor().bInterfaceNumber() + " has no alternate setting "
                    + alternate + " (it has "
                    + String.join(
                            ", ",
                            alts.stream()
                                    .map(i -> String.valueOf(i.descriptor().bAlternateSetting()))
                                    .toList())
                    + ")";
        }
        return null;
    }

    /** Negotiates the format at alternate setting 0 before the base driver selects the streaming setting. */
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
        if (device != null || isAttached()) {
            return true;
        }
        UsbDevice info = usbFuncs.getDeviceInfo(hDevice);
        UsbInterface vs = info == null ? null : videoStreaming(info, usbInterface);
        if (vs == null) {
            return true; // not a VideoStreaming interface: not ours
        }
        String problem = negotiate(usbFuncs, hDevice, info, vs);
        if (problem != null) {
            refuse(problem);
            return true;
        }
        return super.usbDeviceAttach(
                hDevice, usbFuncs, usbInterface, uniqueDriverId, acceptControl, driverSettings, unused);
    }

    /** Probe and commit; {@code null} if it worked, else what went wrong. */
    private String negotiate(UsbFuncs usbFuncs, UsbHandle hDevice, UsbDevice info, UsbInterface vs) {
        int number = vs.descriptor().bInterfaceNumber();
        int length = UvcDescriptors.probeLength(UvcDescriptors.bcdUvc(info.activeConfig()));
        ByteBuffer probe = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        UsbDeviceRequest getProbe = new UsbDeviceRequest(0xA1, 0x81, 0x0100, number, length);
        UsbDeviceRequest setProbe = new UsbDeviceRequest(0x21, 0x01, 0x0100, number, length);
        if (ControlRequests.issue(usbFuncs, hDevice, getProbe, probe) < 26) {
            return "GET_CUR of the probe control failed";
        }
        if (ControlRequests.issue(usbFuncs, hDevice, setProbe, probe.clear()) < 0) {
            return "SET_CUR of the probe control failed";
        }
        if (ControlRequests.issue(usbFuncs, hDevice, getProbe, probe.clear()) < 26) {
            return "GET_CUR of the negotiated probe failed";
        }
        UsbDeviceRequest commit = new UsbDeviceRequest(0x21, 0x01, 0x0200, number, length);
        if (ControlRequests.issue(usbFuncs, hDevice, commit, probe.clear()) < 0) {
            return "SET_CUR of the commit control failed";
        }
        int formatIndex = probe.get(2) & 0xFF;
        int frameIndex = probe.get(3) & 0xFF;
        UvcDescriptors.Format f = UvcDescriptors.formats(vs).stream()
                .filter(x -> x.index() == formatIndex)
                .findFirst()
                .orElse(null);
        if (f == null) {
            return "the camera committed format " + formatIndex + ", which is not uncompressed or MJPEG";
        }
        UvcDescriptors.Frame fr = f.frame(frameIndex).orElse(null);
        if (fr == null) {
            return "the camera committed frame " + frameIndex + ", which format " + formatIndex + " does not have";
        }
        this.streamingInterface = number;
        this.format = f;
        this.width = fr.width();
        this.height = fr.height();
        this.frameSize = probe.getInt(18);
        this.payloadSize = probe.getInt(22);
        return frameSize > 0 ? null : "the camera committed a dwMaxVideoFrameSize of 0";
    }

    /** The alternate setting asked for, or the smallest whose bytes per interval carry the committed payload. */
    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        if (streamingInterface < 0) {
            return null;
        }
        List<UsbInterface> alts = streamingAlternates(device, streamingInterface);
        if (alternate != 0) {
            return alts.stream()
                    .filter(i -> i.descriptor().bAlternateSetting() == alternate)
                    .findFirst()
                    .orElse(null);
        }
        UsbInterface best = null;
        UsbInterface largest = null;
        for (UsbInterface i : alts) {
            int bytes = IsochStreamingDriver.maxFrameLength(isoIn(i).descriptor(), speed());
            if (largest == null
                    || bytes
                            > IsochStreamingDriver.maxFrameLength(isoIn(largest).descriptor(), speed())) {
                largest = i;
            }
            if (bytes >= payloadSize
                    && (best == null
                            || bytes
                                    < IsochStreamingDriver.maxFrameLength(
                                            isoIn(best).descriptor(), speed()))) {
                best = i;
            }
        }
        return best != null ? best : largest;
    }

    /** Only the video endpoint. */
    @Override
    protected List<UsbEndpoint> selectEndpoints(UsbInterface alt) {
        return List.of(isoIn(alt));
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
        boolean complete = !currentDamaged
                && (format.mjpeg() ? frame.length > 0 && frame.length <= frameSize : frame.length == frameSize);
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
