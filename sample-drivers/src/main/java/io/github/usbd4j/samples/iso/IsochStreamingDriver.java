package io.github.usbd4j.samples.iso;

import static io.github.usbd4j.ce.UsbTypes.USB_CANCELED_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;
import static io.github.usbd4j.ce.UsbTypes.USB_COMPRESS_ISOCH;
import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NOT_COMPLETE_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
import static io.github.usbd4j.ce.UsbTypes.USB_OUT_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_SEND_TO_ENDPOINT;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;

import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A CE-shaped isochronous client driver to subclass: the {@code usbtest} way of streaming
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-11">§1.11</a>) — several transfers in flight on each pipe, issued
 * with {@code USB_START_ISOCH_ASAP | USB_NO_WAIT} and a callback that reads {@code GetIsochResults}, accounts every
 * frame, hands the data on and resubmits.
 *
 * <p><b>Life cycle</b> (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>). {@link #usbInstallDriver} and
 * {@link #usbUnInstallDriver} are the DLL exports. {@link #usbDeviceAttach} takes one device: it asks {@link
 * #selectAlternateSetting} which interface and alternate setting to use (refusing control if there is none), selects it
 * with a synchronous {@code SetInterface}, lets {@link #configureDevice} send class requests, opens a pipe per endpoint
 * from {@link #selectEndpoints}, registers a {@link DeviceNotifyRoutine} for {@code USB_CLOSE_DEVICE}, accepts control
 * and calls {@link #onAttached} (which by default starts the streams). {@link #stop} is the clean stop: no more
 * resubmissions, {@code AbortPipeTransfers}, wait for every callback, {@code ClosePipe}. An unplug needs no stop: USBD
 * cancels every transfer (their callbacks see {@code USB_CANCELED_ERROR} and do not resubmit) and then sends {@code
 * USB_CLOSE_DEVICE}, on which {@link #finished()} completes, {@link #isDeviceGone()} true by then. Either way
 * {@link #finished()} completes with the summary.
 *
 * <p><b>Hooks</b> (all {@code protected}, all with defaults unless abstract):
 *
 * <ul>
 *   <li>{@link #selectAlternateSetting}, {@link #selectEndpoints}, {@link #configureDevice} — what to open;
 *   <li>{@link #framesPerTransfer}, {@link #transfersInFlight}, {@link #frameLimit},
 *       {@link #firstStartFrame}, {@link #compress} — how to stream;
 *   <li>{@link #frameLength} — the length of each frame (e.g. 44/45 samples with {@link FrameLengths});
 *   <li>{@link #fillOut} — the data of an OUT transfer (returns how many frames it filled; 0 ends the stream);
 *   <li>{@link #onInFrame} and {@link #onOutFrame} — each frame's result, in order;
 *   <li>{@link #onAttached}, {@link #onStreamFinished}, {@link #onDeviceClosed} — events.
 * </ul>
 *
 * <p>Callbacks run on the runtime's callback executor, one pipe at a time in completion order; hooks for
 * one stream are never called concurrently.
 */
public abstract class IsochStreamingDriver implements UsbClientDriver {
    /** Flags of every transfer: CE usbtest's. */
    public static final int BASE_FLAGS = USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SEND_TO_ENDPOINT;

    /** The function table, once attached. */
    protected volatile UsbFuncs funcs;
    /** The device, once attached. */
    protected volatile UsbHandle device;
    /** The alternate setting in use, once attached. */
    protected volatile UsbInterface alternateSetting;

    private volatile UsbSpeed speed = UsbSpeed.FULL;
    private volatile boolean installed;
    /**
     * Set once usbDeviceAttach has opened every stream, cleared on USB_CLOSE_DEVICE. Not {@code device !=
     * null}: on a real backend attach runs on the runtime's thread, and another thread that saw the device
     * set could find no streams yet.
     */
    private volatile boolean attached;

    private volatile boolean deviceGone;
    private volatile String refusal;
    private volatile Throwable failure;
    private final CompletableFuture<Boolean> attachment = new CompletableFuture<>();

    private final List<IsochStream> streams = new CopyOnWriteArrayList<>();
    private final CompletableFuture<StreamStats> finished = new CompletableFuture<>();
    private final DeviceNotifyRoutine notifyRoutine = this::deviceNotifications;
    private final List<FrameListener> frameListeners = new CopyOnWriteArrayList<>();

    /**
     * Observes every frame result of every stream of a driver, for tools (progress, plots, logs) that
     * must not change the driver's behaviour; a subclass overrides {@link #onInFrame} and
     * {@link #onOutFrame} instead.
     */
    @FunctionalInterface
    public interface FrameListener {
        /**
         * One frame's result, after the driver's own hook saw it. Runs on the callback thread, in stream
         * order per stream; streams may call it concurrently.
         *
         * @param stream the stream
         * @param index the frame's stream index
         * @param busFrame the bus frame it was scheduled in
         * @param length its actual length ({@code GetIsochResults} {@code lpdwBytesTransferred})
         * @param usbError its {@code USB_ERROR}
         */
        void frame(IsochStream stream, long index, long busFrame, int length, int usbError);
    }

    /**
     * The bus speed of the device, which the USB_FUNCS model does not report: it decides how frames of a
     * transfer map to bus frames in reports (one per 1 ms at full speed, one per service interval at high
     * speed). Default full speed.
     *
     * @param speed the speed
     * @return this
     */
    public IsochStreamingDriver speed(UsbSpeed speed) {
        this.speed = speed;
        return this;
    }

    /** The bus speed given to {@link #speed(UsbSpeed)}. */
    public UsbSpeed speed() {
        return speed;
    }

    // ---- the three exports ([§1.5](reference/ce-usbd.html#s1-5)) ----------------------------------------------------

    /** {@code USBInstallDriver}: nothing to register here; the runtime registered the settings. */
    @Override
    public boolean usbInstallDriver(String driverLibFile) {
        installed = true;
        return true;
    }

    /** {@code USBUnInstallDriver}: stops streaming if a device is still attached. */
    @Override
    public boolean usbUnInstallDriver() {
        installed = false;
        stop();
        return true;
    }

    /** Whether {@link #usbInstallDriver} ran and {@link #usbUnInstallDriver} did not. */
    public boolean isInstalled() {
        return installed;
    }

    /**
     * {@code USBDeviceAttach}: takes the first device it is offered whose {@link #selectAlternateSetting}
     * is not {@code null}, as described in the class comment.
     */
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
        if (device != null) {
            return true; // one device per driver instance
        }
        UsbDevice info = usbFuncs.getDeviceInfo(hDevice);
        if (info == null) {
            return false;
        }
        UsbInterface alt = selectAlternateSetting(usbFuncs, info, usbInterface);
        if (alt == null) {
            return true;
        }
        int ifNumber = alt.descriptor().bInterfaceNumber();
        int altNumber = alt.descriptor().bAlternateSetting();
        UsbTransfer t = usbFuncs.setInterface(hDevice, null, null, 0, ifNumber, altNumber);
        if (t == null) {
            refuse("SetInterface(" + ifNumber + ", " + altNumber + ") failed: " + Win32.errorName(lastError()));
            return true;
        }
        int[] error = new int[1];
        usbFuncs.getTransferStatus(t, null, error);
        usbFuncs.closeTransfer(t);
        if (error[0] != USB_NO_ERROR) {
            refuse("SetInterface(" + ifNumber + ", " + altNumber + ") failed: " + UsbTypes.errorName(error[0]));
            return true;
        }
        this.funcs = usbFuncs;
        this.device = hDevice;
        this.alternateSetting = alt;
        if (!configureDevice(usbFuncs, hDevice, alt)) {
            release();
            refuse("the device refused its configuration (interface " + ifNumber + " alternate setting " + altNumber
                    + ")");
            return true;
        }
        for (UsbEndpoint ep : selectEndpoints(alt)) {
            UsbPipe pipe = usbFuncs.openPipe(hDevice, ep.descriptor());
            if (pipe == null) {
                int e = lastError();
                release();
                refuse(String.format(
                        "OpenPipe(0x%02X) failed: %s", ep.descriptor().bEndpointAddress(), Win32.errorName(e)));
                return true;
            }
            streams.add(new IsochStream(this, ep.descriptor(), pipe));
        }
        if (!usbFuncs.registerNotificationRoutine(hDevice, notifyRoutine, this)) {
            release();
            refuse("RegisterNotificationRoutine failed");
            return true;
        }
        acceptControl[0] = true;
        attached = true;
        attachment.complete(true);
        try {
            onAttached();
        } catch (RuntimeException | OutOfMemoryError e) {
            // thrown into USBD it would only be logged, and the device held with nothing streaming
            fail(e);
        }
        return true;
    }

    private void release() {
        for (IsochStream s : streams) {
            funcs.closePipe(s.pipe);
        }
        streams.clear();
        funcs.setInterface(device, null, null, 0, alternateSetting.descriptor().bInterfaceNumber(), 0);
        device = null;
        alternateSetting = null;
    }

    /**
     * The driver's {@code LPDEVICE_NOTIFY_ROUTINE}: handles {@code USB_CLOSE_DEVICE} (every transfer has
     * been cancelled and every pipe closed by then), returns {@code false} for other codes.
     */
    private boolean deviceNotifications(Object param, int code, int[] i1, int[] i2, int[] i3, int[] i4) {
        if (code != USB_CLOSE_DEVICE) {
            return false;
        }
        for (IsochStream s : streams) {
            s.markStopping();
        }
        attached = false;
        deviceGone = true;
        onDeviceClosed();
        finish();
        device = null;
        return true;
    }

    // ---- streaming -------------------------------------------------------------------------------------

    /**
     * Starts one stream if it is not running yet; for drivers that start their streams at different
     * times (from a hook, too).
     *
     * @param stream one of {@link #streams()}
     */
    protected void startStreaming(IsochStream stream) {
        stream.start();
    }

    /** Starts every stream that is not running yet, in {@link #streams()} order. */
    public void startStreaming() {
        for (IsochStream s : streams) {
            s.start();
        }
    }

    /**
     * The clean stop: no more resubmissions, {@code AbortPipeTransfers(pipe, 0)} (waits for the
     * cancellations), wait for the callbacks, {@code ClosePipe}, alternate setting 0. Idempotent; does
     * nothing after an unplug.
     */
    public void stop() {
        UsbHandle d = device;
        if (d == null) {
            return;
        }
        for (IsochStream s : streams) {
            s.markStopping();
        }
        for (IsochStream s : streams) {
            funcs.abortPipeTransfers(s.pipe, 0);
            funcs.closePipe(s.pipe); // waits for the callbacks still running
        }
        UsbInterface alt = alternateSetting;
        if (alt != null && device != null) {
            UsbTransfer t =
                    funcs.setInterface(d, null, null, 0, alt.descriptor().bInterfaceNumber(), 0);
            if (t != null) {
                funcs.closeTransfer(t);
            }
        }
        funcs.unRegisterNotificationRoutine(d, notifyRoutine, this);
        finish();
    }

    /**
     * Ends the streams gently: no transfer is resubmitted, the ones in flight complete normally, then
     * {@link #finished()} completes. Safe from inside a hook (unlike {@link #stop()}, which waits for the
     * callbacks and so must not run on a callback).
     */
    public void requestStop() {
        for (IsochStream s : streams) {
            s.markStopping();
        }
        streamDone();
    }

    /** Called by a stream when its last transfer completed and it will issue no more. */
    void streamDone() {
        boolean cutOff = false;
        for (IsochStream s : streams) {
            if (!s.isDone()) {
                return;
            }
            cutOff |= s.wasCutOff();
        }
        if (cutOff && !deviceGone) {
            // USBD cancelled what the driver did not: the device is leaving, and its USB_CLOSE_DEVICE, which
            // follows the last callback, finishes; finishing now would report a departure as an ordinary end
            return;
        }
        finish();
    }

    private void finish() {
        if (!finished.isDone()) {
            StreamStats total = stats();
            onStreamFinished(total);
            finished.complete(total);
        }
    }

    /** Completes with the summary over all streams when every stream ended, was stopped or unplugged. */
    public CompletableFuture<StreamStats> finished() {
        return finished;
    }

    /** Whether {@link #finished()} is complete. */
    public boolean isFinished() {
        return finished.isDone();
    }

    /** The streams (one per open pipe), in {@link #selectEndpoints} order; empty until attached. */
    public List<IsochStream> streams() {
        return List.copyOf(streams);
    }

    /** The stream of an endpoint, or {@code null}. */
    public IsochStream stream(int endpointAddress) {
        for (IsochStream s : streams) {
            if (s.endpointAddress() == endpointAddress) {
                return s;
            }
        }
        return null;
    }

    /** The summary over all streams so far. */
    public StreamStats stats() {
        StreamStats total = null;
        for (IsochStream s : streams) {
            total = total == null ? s.stats() : total.plus(s.stats());
        }
        return total == null ? StreamStats.empty(-1) : total;
    }

    /**
     * Completes with {@code true} once usbDeviceAttach has taken a device and opened its streams, or with
     * {@code false} when the driver refused a device it was meant for ({@link #refusal()} says why). A
     * driver only offered interfaces it does not want leaves it pending.
     */
    public CompletableFuture<Boolean> attachment() {
        return attachment;
    }

    /** Why the driver refused its device, if {@link #attachment()} completed with {@code false}. */
    public java.util.Optional<String> refusal() {
        return java.util.Optional.ofNullable(refusal);
    }

    /**
     * Refuses the device for good, with the reason: for problems with a device the driver is meant for
     * (a missing control, an unsupported format), not for interfaces it merely does not want. The first
     * reason is kept.
     *
     * @param reason what is wrong, in the user's terms
     */
    protected final void refuse(String reason) {
        synchronized (attachment) {
            if (!attachment.isDone()) {
                refusal = reason;
                attachment.complete(false);
            }
        }
    }

    /**
     * What keeps this driver from streaming on a device, judged from its descriptors alone, before it is
     * opened; {@code null} if nothing does. Tools call it to refuse a device with a clear message before
     * touching it. Default: {@code null} if some interface has an isochronous endpoint.
     *
     * @param device the device's descriptors
     * @param speed the speed it runs at
     * @return the problem in the user's terms, or {@code null}
     */
    public String problemWith(UsbDevice device, UsbSpeed speed) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            for (UsbEndpoint e : i.endpoints()) {
                if (e.descriptor().isIsochronous()) {
                    return null;
                }
            }
        }
        return "it has no isochronous endpoint";
    }

    /**
     * Ends the streams because a hook failed (a file that cannot be written, a source that cannot be
     * read): records the first failure for {@link #failure()} and {@link #requestStop() stops} gently. A
     * hook calls this instead of throwing into USBD, which would only log the exception.
     *
     * @param cause what went wrong
     */
    protected final void fail(Throwable cause) {
        synchronized (attachment) {
            if (failure == null) {
                failure = cause;
            }
        }
        requestStop();
    }

    /** The first failure a hook reported through {@link #fail}, if any. */
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    /** The {@code bAlternateSetting} streamed on, -1 before a device was taken. */
    public int alternateSettingInUse() {
        UsbInterface alt = alternateSetting;
        return alt == null ? -1 : alt.descriptor().bAlternateSetting();
    }

    /** Whether the device left (USB_CLOSE_DEVICE) while the driver had it. */
    public boolean isDeviceGone() {
        return deviceGone;
    }

    /** Whether usbDeviceAttach has taken a device and opened its streams (until USB_CLOSE_DEVICE). */
    public boolean isAttached() {
        return attached;
    }

    /**
     * Adds a {@link FrameListener}; add it before the device is attached to see every frame. Frames the
     * bus never reached (cancelled transfers) are not reported, as in {@link #stats()}.
     *
     * @param listener the listener
     * @return this
     */
    public IsochStreamingDriver addFrameListener(FrameListener listener) {
        frameListeners.add(java.util.Objects.requireNonNull(listener, "listener"));
        return this;
    }

    void frameDone(IsochStream s, long index, long busFrame, int length, int usbError) {
        for (FrameListener l : frameListeners) {
            l.frame(s, index, busFrame, length, usbError);
        }
    }

    /** The last CE error, for messages: {@code Win32.getLastError()} of this thread. */
    protected static int lastError() {
        return Win32.getLastError();
    }

    // ---- hooks -----------------------------------------------------------------------------------------

    /**
     * Which interface and alternate setting to stream on, or {@code null} to refuse control. Default: in
     * the offered interface (or, when the whole device is offered, in every interface), the first
     * alternate setting with an isochronous endpoint.
     *
     * @param usbFuncs the function table
     * @param device the device
     * @param offered the interface offered, {@code null} when the whole device is offered
     * @return an interface record from the active configuration, or {@code null}
     */
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            if (offered != null
                    && i.descriptor().bInterfaceNumber() != offered.descriptor().bInterfaceNumber()) {
                continue;
            }
            for (UsbEndpoint e : i.endpoints()) {
                if (e.descriptor().isIsochronous()) {
                    return i;
                }
            }
        }
        return null;
    }

    /** The endpoints to open, one stream each. Default: every isochronous endpoint of the setting. */
    protected List<UsbEndpoint> selectEndpoints(UsbInterface alternateSetting) {
        List<UsbEndpoint> eps = new ArrayList<>();
        for (UsbEndpoint e : alternateSetting.endpoints()) {
            if (e.descriptor().isIsochronous()) {
                eps.add(e);
            }
        }
        return eps;
    }

    /**
     * Class or vendor requests after the alternate setting is selected and before the pipes open (e.g.
     * a UAC sampling frequency, a UVC commit). Default: none.
     *
     * @return {@code false} to refuse control
     */
    protected boolean configureDevice(UsbFuncs usbFuncs, UsbHandle device, UsbInterface alternateSetting) {
        return true;
    }

    /** Called once control is accepted and the pipes are open. Default: {@link #startStreaming()}. */
    protected void onAttached() {
        startStreaming();
    }

    /**
     * Frames per transfer (entries of the length array). Default: 8 ms of bus time, i.e. 8 entries at full
     * speed (CE usbtest's) and {@code 8 × IsochStream.entriesPerFrame()} at high speed (64 for an endpoint
     * serviced every microframe). Why not 8 entries everywhere: an ASAP transfer starts at max(end of the
     * pipe's stream, now + 6 frames) (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>), so the transfers
     * in flight must cover more than 6 frames or the stream gets gaps; 4 × 8 microframes would cover only 4.
     */
    protected int framesPerTransfer(IsochStream stream) {
        return defaultFramesPerTransfer(stream.descriptor(), speed());
    }

    /**
     * The default of {@link #framesPerTransfer} for an endpoint: 8 ms of bus time.
     *
     * @param d the endpoint
     * @param speed the device's speed
     * @return length-array entries per transfer
     */
    public static int defaultFramesPerTransfer(UsbEndpointDescriptor d, UsbSpeed speed) {
        return 8 * IsochStream.entriesPerFrame(d, speed);
    }

    /** Transfers kept in flight per pipe. Default 4. */
    protected int transfersInFlight(IsochStream stream) {
        return 4;
    }

    /** Frames to stream on this pipe before it ends by itself. Default: no limit. */
    protected long frameLimit(IsochStream stream) {
        return Long.MAX_VALUE;
    }

    /**
     * The explicit {@code dwStartingFrame} of the stream's first transfer, or -1 for
     * {@code USB_START_ISOCH_ASAP}. Later transfers always use ASAP, which continues the stream. Default -1.
     */
    protected long firstStartFrame(IsochStream stream) {
        return -1;
    }

    /** Whether IN transfers use {@code USB_COMPRESS_ISOCH} (frames packed back to back). Default no. */
    protected boolean compress(IsochStream stream) {
        return false;
    }

    /**
     * The requested length of frame {@code index} of the stream (counting from 0): 1 to
     * {@link IsochStream#maxFrameLength()}. Default: the maximum.
     */
    protected int frameLength(IsochStream stream, long index) {
        return stream.maxFrameLength();
    }

    /**
     * Fills an OUT transfer. The frames' slots are laid out back to back from position 0 of {@code data}
     * with the lengths in {@code lengths}, which the hook may lower (not below 1) or cut short.
     *
     * @param stream the stream
     * @param data the transfer buffer, large enough for {@code frames} maximum-length frames
     * @param lengths the requested lengths from {@link #frameLength}
     * @param frames entries of {@code lengths} in use
     * @param firstIndex the stream index of the transfer's first frame
     * @return frames filled, 0 at the end of the data (the stream then ends)
     */
    protected int fillOut(IsochStream stream, ByteBuffer data, int[] lengths, int frames, long firstIndex) {
        return 0;
    }

    /**
     * One IN frame's result, in stream order. The data may be non-empty even when {@code usbError} is not
     * {@code USB_NO_ERROR} (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>). Default: nothing.
     *
     * @param stream the stream
     * @param index the frame's stream index
     * @param busFrame the bus frame it was scheduled in
     * @param data its bytes, position 0 to limit (valid only during the call)
     * @param usbError its {@code USB_ERROR}
     */
    protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {}

    /**
     * One OUT frame's result, in stream order. Default: nothing.
     *
     * @param stream the stream
     * @param index the frame's stream index
     * @param busFrame the bus frame it was scheduled in
     * @param length bytes sent
     * @param usbError its {@code USB_ERROR} ({@code USB_NOT_ACCESSED_ERROR}: never reached the device)
     */
    protected void onOutFrame(IsochStream stream, long index, long busFrame, int length, int usbError) {}

    /** Every stream ended (or was stopped or unplugged). Default: nothing. */
    protected void onStreamFinished(StreamStats total) {}

    /** {@code USB_CLOSE_DEVICE}: the device is gone, its transfers cancelled and pipes closed. */
    protected void onDeviceClosed() {}

    // ---- one pipe --------------------------------------------------------------------------------------

    /** The transfer flags for a stream's transfer. */
    int flags(IsochStream s) {
        int f = BASE_FLAGS | (s.isIn() ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : USB_OUT_TRANSFER);
        if (s.isIn() && compress(s)) {
            f |= USB_COMPRESS_ISOCH;
        }
        return f;
    }

    /** The bus frame of frame {@code k} of a transfer that started in {@code startFrame}. */
    long busFrame(IsochStream s, long startFrame, int k) {
        if (speed != UsbSpeed.HIGH) {
            return startFrame + k;
        }
        int period = 1 << (Math.max(1, Math.min(16, s.descriptor().bInterval())) - 1); // microframes
        return startFrame + ((long) k * period) / 8;
    }

    static boolean isCanceled(int transferError) {
        return transferError == USB_CANCELED_ERROR;
    }

    static boolean neverReached(int frameError) {
        return frameError == USB_NOT_COMPLETE_ERROR || frameError == USB_CANCELED_ERROR;
    }

    /**
     * The largest length one frame of a stream may request: the payload size the speed allows ({@link
     * Endpoints#maxPacketPayload}) at full speed, that × transactions per microframe at high speed.
     *
     * @param d the endpoint
     * @param speed the device's speed
     * @return bytes per frame entry
     */
    public static int maxFrameLength(UsbEndpointDescriptor d, UsbSpeed speed) {
        int payload = Endpoints.maxPacketPayload(d, speed);
        return speed == UsbSpeed.HIGH ? payload * d.transactionsPerMicroframe() : payload;
    }
}
