package io.github.usbd4j.host;

import static io.github.usbd4j.usb.UsbdStatus.*;
import static io.github.usbd4j.win32.Win32.*;

import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.wdm.NtStatus;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.UsbdPipeHandle;
import io.github.usbd4j.wdm.Wdm;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One seed's round of chaos for the WinUSB and WDM isochronous personalities, on any backend, the way {@link
 * ChaosRound} does it for CE. Worker threads mix, on loopback devices, WinUSB overlapped reads and writes
 * ([§2.3](reference/winusb.html#s2-3): ASAP with and without {@code ContinueStream}, explicit frames, synchronous
 * calls), {@code WinUsb_GetOverlappedResult}, {@code WinUsb_AbortPipe}, {@code WinUsb_UnregisterIsochBuffer}, {@code
 * WinUsb_Free}, alternate-setting changes, and WDM isochronous URBs ([§3.4](reference/wdm.html#s3-4),
 * [§3.5](reference/wdm.html#s3-5)) with {@code URB_FUNCTION_ABORT_PIPE} and select-interface, while devices are
 * unplugged and plugged. Completion callbacks and routines resubmit, abort their own or a sibling pipe, unregister
 * their buffer, wait for a sibling I/O and unplug their device.
 *
 * <p>{@link #run} checks what a ported driver relies on: every I/O that was accepted ({@code ERROR_IO_PENDING},
 * {@code STATUS_PENDING}) completes exactly once, and one that was refused never does; the result is a documented one
 * ([§2.6](reference/winusb.html#s2-6), [§3.6](reference/wdm.html#s3-6): {@code ERROR_OPERATION_ABORTED} and {@code
 * USBD_STATUS_CANCELED} for cancelled ones); every packet of a completed read or URB has a length and a status, and
 * the URB's counts agree with them ([§3.6](reference/wdm.html#overall)); nothing writes into an I/O's descriptors after
 * it completed; {@code WinUsb_UnregisterIsochBuffer} returns only once every I/O on the buffer has completed
 * ([§2.3](reference/winusb.html#s2-3)); no call throws; a freed or unregistered handle answers {@code
 * ERROR_INVALID_HANDLE}; no wait hangs (a stuck worker fails the round with every thread's stack); and after {@code
 * Usbd.close()} no transfer is out of its pool.
 *
 * <p>A subclass says how its bus plugs, unplugs and lets time pass: {@code DesktopIsochChaosTest} on the simulator's
 * virtual clock, the real-kernel stage on the usb4java backend and a USB/IP device in a QEMU guest.
 */
public abstract class DesktopChaosRound extends SeededRound {
    /** What the test writes into a descriptor's status before the stack may: a value no stack writes. */
    private static final int UNSET = 0x5EED_0001;

    /** A device the subclass plugged: the runtime's handle, the subclass's token (what it unplugs), its speed. */
    public record Plugged(UsbHandle device, Object token, boolean highSpeed) {}

    /** The backend under test. */
    protected final HostController backend;
    /** The runtime under test. */
    protected final Usbd usbd;

    final WinUsb w;
    final Wdm wdm;
    final Object plugLock = new Object();
    /** Devices the workers may use and unplug. */
    protected final List<Plug> live = new CopyOnWriteArrayList<>();

    final Queue<Io> ios = new ConcurrentLinkedQueue<>();
    final Queue<Submission> submissions = new ConcurrentLinkedQueue<>();
    final List<Buf> allBuffers = new CopyOnWriteArrayList<>();
    final AtomicLong started = new AtomicLong();
    final AtomicLong urbsStarted = new AtomicLong();
    /** Set when the round winds down: callbacks stop issuing. */
    volatile boolean stopping;

    /**
     * A runtime on {@code backend}; a callback that throws is a violation.
     *
     * @param backend the host controller
     */
    protected DesktopChaosRound(HostController backend) {
        this.backend = backend;
        usbd = Usbd.builder()
                .backend(backend)
                .callbackFailureHandler(e -> violation("a callback threw " + trace(e)))
                .build();
        w = usbd.winUsb();
        wdm = usbd.wdm();
    }

    /** Lets bus time pass: a virtual clock advances, a real one is waited on. */
    protected abstract void advance(int frames);

    /**
     * Plugs a loopback device (under the round's plug lock) and returns it once the runtime has it.
     *
     * @param highSpeed the speed wanted; a bus that has one speed only says which it plugged
     * @return the device, or {@code null} if the runtime did not report it
     */
    protected abstract Plugged attach(boolean highSpeed);

    /** Unplugs a device mid-stream (it is already out of {@link #live}). */
    protected abstract void detach(Plug p);

    /** The devices the workers start with: {@link #plug} them, drawing from {@code root} as needed. */
    protected abstract void start(SplittableRandom root);

    /** Once the workers are done and callbacks issue no more: lets every accepted I/O and URB complete. */
    protected abstract void windDown();

    /** Whether a worker or a callback may unplug a device now. */
    protected boolean mayUnplug() {
        return true;
    }

    /** Whether a worker may plug a device now. */
    protected boolean mayPlug() {
        return live.size() < 4;
    }

    /** Whether every accepted I/O and URB has completed, for a {@link #windDown} that waits. */
    protected final boolean everythingCompleted() {
        for (Io io : ios) {
            if (io.answer == ERROR_IO_PENDING && io.signals.get() == 0) {
                return false;
            }
        }
        for (Submission s : submissions) {
            if (s.answer == NtStatus.STATUS_PENDING && s.routines.get() == 0) {
                return false;
            }
        }
        return true;
    }

    /** WinUSB overlapped I/Os accepted. */
    public final long ioAccepted() {
        return started.get();
    }

    /** WDM URBs accepted. */
    public final long urbsAccepted() {
        return urbsStarted.get();
    }

    /** One attached device as the round's driver sees it; {@code token} is the subclass's (what it unplugs). */
    protected static final class Plug {
        final UsbHandle device;
        /** The subclass's handle on the device, for {@link #detach}. */
        public final Object token;

        final boolean highSpeed;
        /** The current interface handle; replaced after a {@code WinUsb_Free}. */
        volatile WinUsbInterfaceHandle iface;

        final UsbdHandle wdm;
        final List<Buf> buffers = new CopyOnWriteArrayList<>();
        final List<UsbdPipeHandle> pipes = new CopyOnWriteArrayList<>();
        final AtomicBoolean unplugged = new AtomicBoolean();

        Plug(UsbHandle device, Object token, boolean highSpeed, WinUsbInterfaceHandle iface, UsbdHandle wdm) {
            this.device = device;
            this.token = token;
            this.highSpeed = highSpeed;
            this.iface = iface;
            this.wdm = wdm;
        }

        /** Bytes per service interval on the loopback's alternate setting 1. */
        int perPacket() {
            return highSpeed ? 1024 : 512;
        }

        /** Packets per 1 ms frame. */
        int packetsPerFrame() {
            return highSpeed ? 8 : 1;
        }
    }

    /** A registered WinUSB buffer. */
    private static final class Buf {
        static final int FRAMES = 8;
        final Plug plug;
        final WinUsbIsochBufferHandle handle;
        final int pipeId;
        final AtomicBoolean unregisterClaimed = new AtomicBoolean();
        /** Set once {@code WinUsb_UnregisterIsochBuffer} has returned {@code TRUE}. */
        volatile boolean unregistered;

        Buf(Plug plug, WinUsbIsochBufferHandle handle, int pipeId) {
            this.plug = plug;
            this.handle = handle;
            this.pipeId = pipeId;
        }

        boolean read() {
            return (pipeId & 0x80) != 0;
        }

        int frameBytes() {
            return plug.perPacket() * plug.packetsPerFrame();
        }
    }

    /** One overlapped WinUSB read or write. */
    private static final class Io {
        final Buf buf;
        final int packets;
        final UsbdIsoPacketDescriptor[] descriptors;
        final AtomicInteger signals = new AtomicInteger();
        final long callbackSeed;
        volatile Overlapped overlapped;
        /** The call's answer: {@code ERROR_IO_PENDING} when accepted; 0 while the call runs. */
        volatile int answer;
        /** The descriptors as they were when the I/O completed, to find later writes. */
        volatile int[] atCompletion;
        /** How it was started and how it completed, for a violation's message. */
        volatile String how;

        Io(Buf buf, int packets, long callbackSeed) {
            this.buf = buf;
            this.packets = packets;
            this.callbackSeed = callbackSeed;
            this.descriptors = UsbdIsoPacketDescriptor.array(packets + 1);
            for (UsbdIsoPacketDescriptor d : descriptors) {
                d.offset = -1;
                d.length = -1;
                d.status = UNSET;
            }
        }
    }

    /** One submission of a WDM URB (a URB resubmitted from its routine is a new submission). */
    private static final class Submission {
        final Plug plug;
        final UsbdPipeHandle pipe;
        final Urb urb;
        final int packets;
        final int packetBytes;
        final long routineSeed;
        final AtomicInteger routines = new AtomicInteger();
        /** The submission's answer; 0 while the call runs. */
        volatile int answer;
        /** The URB's descriptors when the routine ran, for a URB that was not resubmitted. */
        volatile int[] atCompletion;

        Submission(Plug plug, UsbdPipeHandle pipe, Urb urb, int packets, int packetBytes, long routineSeed) {
            this.plug = plug;
            this.pipe = pipe;
            this.urb = urb;
            this.packets = packets;
            this.packetBytes = packetBytes;
            this.routineSeed = routineSeed;
        }
    }
    // ---- devices ------------------------------------------------------------------------------------

    /** Plugs a device and sets it up for both personalities: WinUSB on alternate setting 1, and a USBD handle. */
    protected final void plug(boolean highSpeed) {
        synchronized (plugLock) {
            Plugged d = attach(highSpeed);
            if (d == null) {
                return;
            }
            UsbHandle handle = d.device();
            WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
            UsbdHandle[] uh = new UsbdHandle[1];
            if (!w.initialize(handle, ih)
                    || !w.setCurrentAlternateSetting(ih[0], 1)
                    || wdm.usbdCreateHandle(handle, uh) != NtStatus.STATUS_SUCCESS) {
                violation("a fresh device could not be set up: " + Win32.getLastError());
                return;
            }
            live.add(new Plug(handle, d.token(), d.highSpeed(), ih[0], uh[0]));
        }
    }

    void unplug(Plug p) {
        if (mayUnplug() && p.unplugged.compareAndSet(false, true)) {
            live.remove(p);
            unplugs.incrementAndGet();
            detach(p);
        }
    }

    // ---- WinUSB ------------------------------------------------------------------------------------

    void register(Plug p, SplittableRandom r) {
        int pipeId = r.nextBoolean() ? 0x81 : 0x01;
        int length = Buf.FRAMES * p.perPacket() * p.packetsPerFrame();
        WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
        Win32.setLastError(0);
        if (w.registerIsochBuffer(p.iface, pipeId, ByteBuffer.allocate(length), length, bh)) {
            Buf b = new Buf(p, bh[0], pipeId);
            p.buffers.add(b);
            allBuffers.add(b);
        } else {
            expectError("WinUsb_RegisterIsochBuffer", ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER);
        }
    }

    void unregister(Buf b) {
        if (!b.unregisterClaimed.compareAndSet(false, true)) {
            return;
        }
        b.plug.buffers.remove(b);
        if (w.unregisterIsochBuffer(b.handle)) {
            b.unregistered = true;
            for (Io io : ios) {
                if (io.buf == b && io.answer == ERROR_IO_PENDING && !io.overlapped.hasOverlappedIoCompleted()) {
                    violation("WinUsb_UnregisterIsochBuffer returned with an I/O on the buffer still pending");
                }
            }
            Win32.setLastError(0);
            if (w.unregisterIsochBuffer(b.handle)) {
                violation("a second WinUsb_UnregisterIsochBuffer succeeded");
            } else {
                expectError("a second WinUsb_UnregisterIsochBuffer", ERROR_INVALID_HANDLE);
            }
            Win32.setLastError(0);
            if (w.writeIsochPipeAsap(b.handle, 0, b.frameBytes(), false, new Overlapped())
                    || Win32.getLastError() != ERROR_INVALID_HANDLE) {
                violation("an I/O on an unregistered buffer answered " + Win32.getLastError());
            }
        } else {
            expectError("WinUsb_UnregisterIsochBuffer", ERROR_INVALID_HANDLE, ERROR_OPERATION_ABORTED);
        }
    }

    /** Starts an overlapped read or write on the buffer; the completion callback does random things. */
    Io io(Buf b, SplittableRandom r, boolean fromCallback) {
        Plug p = b.plug;
        int frames = 1 + r.nextInt(3);
        int first = r.nextInt(Buf.FRAMES - frames + 1);
        int packets = frames * p.packetsPerFrame();
        Io io = new Io(b, packets, r.nextLong());
        boolean withCallback = r.nextInt(3) > 0;
        Overlapped o = withCallback ? new Overlapped(ov -> completed(io)) : new Overlapped();
        io.overlapped = o;
        if (!withCallback) {
            var unused = o.completion().thenRun(() -> completed(io));
        }
        ios.add(io);
        int offset = first * b.frameBytes();
        int length = frames * b.frameBytes();
        boolean asap = fromCallback || r.nextInt(4) > 0;
        boolean continueStream = r.nextBoolean();
        int[] frame = {frameNow(p) + r.nextInt(-3, 12)};
        io.how = (b.read() ? "read " : "write ") + packets + " packets, "
                + (asap ? "ASAP" + (continueStream ? " continuing" : "") : "frame " + frame[0])
                + (withCallback ? ", callback" : ", future") + (fromCallback ? ", from a callback" : "");
        boolean unregisteredBefore = b.unregistered;
        Win32.setLastError(0);
        boolean done;
        if (b.read()) {
            done = asap
                    ? w.readIsochPipeAsap(b.handle, offset, length, continueStream, packets, io.descriptors, o)
                    : w.readIsochPipe(b.handle, offset, length, frame, packets, io.descriptors, o);
        } else {
            done = asap
                    ? w.writeIsochPipeAsap(b.handle, offset, length, continueStream, o)
                    : w.writeIsochPipe(b.handle, offset, length, frame, o);
        }
        int error = Win32.getLastError();
        if (done) {
            violation("an overlapped isochronous call returned TRUE");
        } else if (error == ERROR_IO_PENDING) {
            started.incrementAndGet();
            if (unregisteredBefore) {
                violation("an I/O was accepted on a buffer after WinUsb_UnregisterIsochBuffer returned");
            }
        } else {
            expectError(
                    "an overlapped read or write", ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_GEN_FAILURE);
        }
        io.answer = done ? -1 : error;
        return io;
    }

    int frameNow(Plug p) {
        int[] f = new int[1];
        long[] ts = new long[1];
        return p.iface != null && w.getCurrentFrameNumber(p.iface, f, ts)
                ? f[0]
                : (int) backend.clock().currentFrame();
    }

    /** A synchronous read or write: it returns complete. */
    void syncIo(Buf b, SplittableRandom r) {
        Plug p = b.plug;
        int frames = 1 + r.nextInt(2);
        int packets = frames * p.packetsPerFrame();
        UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(packets);
        for (UsbdIsoPacketDescriptor x : d) {
            x.status = UNSET;
        }
        Win32.setLastError(0);
        boolean ok = b.read()
                ? w.readIsochPipeAsap(b.handle, 0, frames * b.frameBytes(), false, packets, d, null)
                : w.writeIsochPipeAsap(b.handle, 0, frames * b.frameBytes(), false, null);
        int error = Win32.getLastError();
        if (!ok) {
            expectError(
                    "a synchronous read or write",
                    ERROR_INVALID_HANDLE,
                    ERROR_INVALID_PARAMETER,
                    ERROR_GEN_FAILURE,
                    ERROR_OPERATION_ABORTED);
        }
        if (b.read() && (ok || error == ERROR_OPERATION_ABORTED)) {
            checkDescriptors("a synchronous read", d, packets, p.perPacket());
        }
    }

    void completed(Io io) {
        int n = io.signals.incrementAndGet();
        if (n != 1) {
            violation("an OVERLAPPED was signalled " + n + " times");
            return;
        }
        Overlapped o = io.overlapped;
        if (!o.hasOverlappedIoCompleted()) {
            violation("an I/O's callback ran while HasOverlappedIoCompleted says it has not");
        }
        if (io.answer != 0 && io.answer != ERROR_IO_PENDING) {
            violation("an I/O refused with error " + io.answer + " signalled its OVERLAPPED (internal " + o.internal()
                    + ")");
            return;
        }
        int internal = o.internal();
        boolean read = io.buf.read();
        if (internal != ERROR_SUCCESS
                && internal != ERROR_OPERATION_ABORTED
                && !(internal == ERROR_GEN_FAILURE && !read)) {
            violation("an I/O completed with " + internal);
        }
        if (read) {
            checkDescriptors("a read", io.descriptors, io.packets, io.buf.plug.perPacket());
            if (io.descriptors[io.packets].status != UNSET) {
                violation("a read wrote the descriptor past its packets");
            }
            io.atCompletion = snapshot(io.descriptors);
            String how = io.how; // set when the I/O was issued, before it could complete; appended to once, here
            io.how = how + "; completed " + internal + " on "
                    + Thread.currentThread().getName();
        }
        if (stopping) {
            return;
        }
        SplittableRandom r = new SplittableRandom(io.callbackSeed);
        try {
            int what = r.nextInt(20);
            if (what < 8) {
                io(io.buf, r, true); // the next I/O of the stream
            } else if (what < 10) {
                WinUsbInterfaceHandle h = io.buf.plug.iface;
                w.abortPipe(h, r.nextBoolean() ? io.buf.pipeId : io.buf.pipeId ^ 0x80);
            } else if (what == 10) {
                unregister(io.buf);
            } else if (what == 11) {
                Io sibling = pickStarted(r);
                if (sibling != null) {
                    awaitResult(sibling, true);
                }
            } else if (what == 12 && r.nextInt(8) == 0) {
                unplug(io.buf.plug);
            }
        } catch (RuntimeException | AssertionError e) {
            violation("a call in an OVERLAPPED callback threw " + trace(e));
        }
    }

    void checkDescriptors(String what, UsbdIsoPacketDescriptor[] d, int packets, int perPacket) {
        for (int k = 0; k < packets; k++) {
            if (d[k].status == UNSET || d[k].offset != k * perPacket || d[k].length < 0 || d[k].length > perPacket) {
                violation(what + ": packet " + k + " of " + packets + " not filled in: " + d[k]);
                return;
            }
            if (d[k].status != USBD_STATUS_SUCCESS && d[k].length != 0) {
                violation(what + ": packet " + k + " failed but carried bytes: " + d[k]);
            }
        }
    }

    Io pickStarted(SplittableRandom r) {
        int skip = r.nextInt(8);
        Io last = null;
        for (Io io : ios) {
            if (io.answer == ERROR_IO_PENDING) {
                last = io;
                if (skip-- == 0) {
                    break;
                }
            }
        }
        return last;
    }

    /** {@code WinUsb_GetOverlappedResult}: consistent with the OVERLAPPED, bytes always 0. */
    void awaitResult(Io io, boolean wait) {
        Plug p = io.buf.plug;
        int[] bytes = {-1};
        Win32.setLastError(0);
        boolean ok = w.getOverlappedResult(p.iface, io.overlapped, bytes, wait);
        int error = Win32.getLastError();
        if (ok) {
            if (bytes[0] != 0) {
                violation("GetOverlappedResult reported " + bytes[0] + " bytes for isochronous I/O");
            }
            if (io.overlapped.internal() != ERROR_SUCCESS) {
                violation("GetOverlappedResult succeeded for an I/O that failed");
            }
        } else if (error == ERROR_IO_INCOMPLETE) {
            if (wait && p.iface != null && !p.unplugged.get()) {
                violation("GetOverlappedResult(wait) returned before the I/O completed");
            }
        } else if (error != ERROR_INVALID_HANDLE && error != io.overlapped.internal()) {
            violation("GetOverlappedResult answered " + error + ", the OVERLAPPED says " + io.overlapped.internal());
        }
    }

    // ---- WDM ---------------------------------------------------------------------------------------

    UsbdPipeHandle pipe(Plug p, SplittableRandom r) {
        List<UsbdPipeHandle> known = List.copyOf(p.pipes);
        if (known.isEmpty() || r.nextInt(6) == 0) {
            UsbdPipeHandle h = wdm.pipeHandle(p.wdm, r.nextBoolean() ? 0x81 : 0x01);
            if (h != null) {
                p.pipes.add(h);
                if (p.pipes.size() > 4) {
                    p.pipes.remove(0);
                }
            }
            return h;
        }
        return known.get(r.nextInt(known.size()));
    }

    /** Submits a URB: a fresh one, or {@code again} resubmitted from its routine. */
    void submit(Plug p, UsbdPipeHandle pipe, Urb again, SplittableRandom r) {
        boolean in = again != null ? (again.transferFlags & Urb.USBD_TRANSFER_DIRECTION_IN) != 0 : r.nextBoolean();
        Urb urb = again;
        int packets;
        if (urb == null) {
            packets = p.packetsPerFrame() * (1 + r.nextInt(3));
            Urb[] u = new Urb[1];
            if (wdm.usbdIsochUrbAllocate(p.wdm, packets + 1, u) != NtStatus.STATUS_SUCCESS) {
                return; // the device left
            }
            urb = u[0];
            urb.numberOfPackets = packets;
            urb.transferFlags = (in ? Urb.USBD_TRANSFER_DIRECTION_IN : Urb.USBD_TRANSFER_DIRECTION_OUT)
                    | (r.nextInt(4) > 0 ? Urb.USBD_START_ISO_TRANSFER_ASAP : 0);
            int size = 1 + r.nextInt(p.perPacket());
            urb.transferBuffer = ByteBuffer.allocate(packets * size);
        } else {
            packets = urb.numberOfPackets;
        }
        int size = urb.transferBuffer.capacity() / packets;
        urb.pipeHandle = pipe;
        urb.transferBufferLength = packets * size;
        urb.errorCount = 0;
        urb.startFrame = frameNow(p) + r.nextInt(-3, 12);
        for (int k = 0; k <= packets; k++) {
            urb.isoPacket[k].offset = k < packets ? k * size : 0;
            urb.isoPacket[k].length = -1;
            urb.isoPacket[k].status = UNSET;
        }
        Submission s = new Submission(p, pipe, urb, packets, size, r.nextLong());
        submissions.add(s);
        int nt = wdm.submitUrb(p.wdm, urb, (u, ntStatus, ctx) -> routine((Submission) ctx, u, ntStatus), s);
        s.answer = nt == 0 ? -1 : nt;
        if (nt == NtStatus.STATUS_PENDING) {
            urbsStarted.incrementAndGet();
        } else if (nt != NtStatus.STATUS_INVALID_PARAMETER
                && nt != NtStatus.STATUS_UNSUCCESSFUL
                && nt != NtStatus.STATUS_DEVICE_NOT_CONNECTED) {
            violation("a URB submission answered 0x" + Integer.toHexString(nt));
        }
    }

    void routine(Submission s, Urb u, int nt) {
        int n = s.routines.incrementAndGet();
        if (n != 1) {
            violation("a URB's completion routine ran " + n + " times");
            return;
        }
        if (s.answer != 0 && s.answer != NtStatus.STATUS_PENDING) {
            violation("a URB refused with 0x" + Integer.toHexString(s.answer) + " ran its completion routine");
            return;
        }
        if (u != s.urb) {
            violation("a completion routine was given another URB");
            return;
        }
        boolean consistent = switch (nt) {
            case NtStatus.STATUS_SUCCESS -> u.hdrStatus == USBD_STATUS_SUCCESS;
            case NtStatus.STATUS_CANCELLED -> u.hdrStatus == USBD_STATUS_CANCELED;
            case NtStatus.STATUS_UNSUCCESSFUL ->
                u.hdrStatus == USBD_STATUS_ISOCH_REQUEST_FAILED || u.hdrStatus == USBD_STATUS_ISO_NOT_ACCESSED_LATE;
            default -> false;
        };
        if (!consistent) {
            violation("a URB completed with NTSTATUS 0x" + Integer.toHexString(nt) + " and Hdr.Status "
                    + name(u.hdrStatus));
        }
        int errors = 0;
        int bytes = 0;
        for (int k = 0; k < s.packets; k++) {
            UsbdIsoPacketDescriptor d = u.isoPacket[k];
            if (d.status == UNSET || d.length < 0 || d.length > s.packetBytes || d.offset != k * s.packetBytes) {
                violation("URB packet " + k + " of " + s.packets + " not filled in: " + d);
                return;
            }
            if (isError(d.status)) {
                errors++;
            }
            bytes += d.length;
        }
        if (u.isoPacket[s.packets].status != UNSET) {
            violation("a URB's routine found the descriptor past NumberOfPackets written");
        }
        if (u.errorCount != errors || u.transferBufferLength != bytes) {
            violation("a URB's ErrorCount " + u.errorCount + " / TransferBufferLength " + u.transferBufferLength
                    + " disagree with its packets (" + errors + " / " + bytes + ")");
        }
        SplittableRandom r = new SplittableRandom(s.routineSeed);
        int what = r.nextInt(20);
        if (what < 8 && !stopping) {
            try {
                submit(s.plug, s.pipe, u, r); // resubmit the URB from its own routine
            } catch (RuntimeException | AssertionError e) {
                violation("a resubmission from a routine threw " + trace(e));
            }
            return;
        }
        s.atCompletion = snapshot(u.isoPacket);
        if (stopping) {
            return;
        }
        try {
            if (what < 10) {
                UsbdPipeHandle other = r.nextBoolean() ? s.pipe : pick(s.plug.pipes, r);
                if (other != null) {
                    expectNt("URB_FUNCTION_ABORT_PIPE from a routine", wdm.abortPipe(s.plug.wdm, other));
                }
            } else if (what == 10 && r.nextInt(8) == 0) {
                unplug(s.plug);
            }
        } catch (RuntimeException | AssertionError e) {
            violation("a call in a completion routine threw " + trace(e));
        }
    }

    void expectNt(String what, int nt) {
        if (nt != NtStatus.STATUS_SUCCESS && nt != NtStatus.STATUS_INVALID_PARAMETER) {
            violation(what + " answered 0x" + Integer.toHexString(nt));
        }
    }

    // ---- the workers ---------------------------------------------------------------------------------

    void work(SplittableRandom r, int opsPerThread) {
        for (int i = 0; i < opsPerThread; i++) {
            ops.incrementAndGet();
            try {
                step(r);
            } catch (RuntimeException | AssertionError e) {
                violation("threw: " + trace(e));
                return;
            }
        }
    }

    private void step(SplittableRandom r) {
        Plug p = pick(live, r);
        Buf b = p == null ? null : pick(p.buffers, r);
        int op = r.nextInt(100);
        if (op < 24) {
            if (b != null) {
                io(b, r, false);
            }
        } else if (op < 34) {
            UsbdPipeHandle pipe = p == null ? null : pipe(p, r);
            if (pipe != null) {
                submit(p, pipe, null, r);
            }
        } else if (op < 48) {
            advance(1 + r.nextInt(4));
        } else if (op < 54) {
            Io io = pickStarted(r);
            if (io != null) {
                awaitResult(io, r.nextBoolean());
            }
        } else if (op < 58) {
            if (p != null) {
                abortWinUsbPipe(p, r.nextBoolean() ? 0x81 : 0x01);
            }
        } else if (op < 62) {
            UsbdPipeHandle pipe = p == null ? null : pick(p.pipes, r);
            if (pipe != null) {
                abortWdmPipe(p, pipe);
            }
        } else if (op < 66) {
            if (b != null) {
                unregister(b);
            }
        } else if (op < 72) {
            if (p != null && p.buffers.size() < 4) {
                register(p, r);
            }
        } else if (op < 75) {
            if (b != null) {
                syncIo(b, r);
            }
        } else if (op < 78) {
            if (p != null) {
                free(p);
            }
        } else if (op < 81) {
            if (p != null) {
                // a pipe reset by reselecting the setting: its I/Os are cancelled, its handles go stale
                if (r.nextBoolean()) {
                    Win32.setLastError(0);
                    if (!w.setCurrentAlternateSetting(p.iface, 1)) {
                        expectError("WinUsb_SetCurrentAlternateSetting", ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER);
                    }
                } else {
                    int nt = wdm.selectInterface(p.wdm, 0, 1);
                    if (nt != NtStatus.STATUS_SUCCESS
                            && nt != NtStatus.STATUS_DEVICE_NOT_CONNECTED
                            && nt != NtStatus.STATUS_INVALID_PARAMETER) {
                        violation("select-interface answered 0x" + Integer.toHexString(nt));
                    }
                }
            }
        } else if (op < 85) {
            if (p != null) {
                pipe(p, r);
            }
        } else if (op < 89) {
            if (p != null) {
                unplug(p);
            }
        } else if (mayPlug()) {
            plug(r.nextBoolean());
        }
    }

    /**
     * {@code WinUsb_AbortPipe} outside a callback: it returns once the pipe's I/Os have completed, their
     * OVERLAPPEDs signalled ({@code ERROR_OPERATION_ABORTED} unless they had finished).
     */
    void abortWinUsbPipe(Plug p, int pipeId) {
        List<Io> before = new ArrayList<>();
        for (Io io : ios) {
            if (io.buf.plug == p && io.buf.pipeId == pipeId && io.answer == ERROR_IO_PENDING) {
                before.add(io);
            }
        }
        Win32.setLastError(0);
        if (!w.abortPipe(p.iface, pipeId)) {
            expectError("WinUsb_AbortPipe", ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER);
            return;
        }
        for (Io io : before) {
            if (!io.overlapped.hasOverlappedIoCompleted()) {
                violation("WinUsb_AbortPipe returned with an I/O on the pipe still pending");
            }
        }
    }

    /**
     * {@code URB_FUNCTION_ABORT_PIPE} outside a routine: it returns once the URBs on the pipe have completed,
     * their completion routines called ([§3.6](reference/wdm.html#s3-6): {@code USBD_STATUS_CANCELED}).
     */
    void abortWdmPipe(Plug p, UsbdPipeHandle pipe) {
        List<Submission> before = new ArrayList<>();
        for (Submission s : submissions) {
            if (s.plug == p && s.pipe.equals(pipe) && s.answer == NtStatus.STATUS_PENDING) {
                before.add(s);
            }
        }
        int nt = wdm.abortPipe(p.wdm, pipe);
        expectNt("URB_FUNCTION_ABORT_PIPE", nt);
        if (nt != NtStatus.STATUS_SUCCESS) {
            return;
        }
        for (Submission s : before) {
            if (s.routines.get() == 0) {
                violation("URB_FUNCTION_ABORT_PIPE returned before the routine of a URB on the pipe ran");
            }
        }
    }

    /** {@code WinUsb_Free}, then a fresh handle: the freed one answers {@code ERROR_INVALID_HANDLE}. */
    void free(Plug p) {
        WinUsbInterfaceHandle old = p.iface;
        WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
        if (!w.initialize(p.device, ih)) {
            expectError("WinUsb_Initialize", ERROR_INVALID_HANDLE);
            return;
        }
        p.iface = ih[0];
        Win32.setLastError(0);
        if (!w.free(old)) {
            expectError("WinUsb_Free", ERROR_INVALID_HANDLE);
            return;
        }
        int[] f = new int[1];
        long[] ts = new long[1];
        Win32.setLastError(0);
        if (w.getCurrentFrameNumber(old, f, ts) || Win32.getLastError() != ERROR_INVALID_HANDLE) {
            violation("a freed interface handle answered " + Win32.getLastError());
        }
    }

    void expectError(String what, int... allowed) {
        int e = Win32.getLastError();
        for (int a : allowed) {
            if (e == a) {
                return;
            }
        }
        violation(what + " failed with undocumented error " + e);
    }

    // ---- the round ----------------------------------------------------------------------------------

    /**
     * Plugs the starting devices ({@link #start}), registers two buffers on each, runs the workers, each {@code
     * opsPerThread} operations from its own split of {@code seed}, then winds down (callbacks issue no more, every
     * accepted I/O completes, every buffer is unregistered, the runtime closed) and checks what is left.
     *
     * @param seed the round's seed
     * @param threads worker threads
     * @param opsPerThread operations per worker
     * @param hangMillis a worker still running after this long is stuck: the round fails with every thread's stack
     */
    public final void run(long seed, int threads, int opsPerThread, long hangMillis) throws InterruptedException {
        SplittableRandom root = new SplittableRandom(seed);
        start(root);
        for (Plug p : live) {
            register(p, root);
            register(p, root);
        }
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            SplittableRandom r = root.split();
            Thread t = new Thread(() -> work(r, opsPerThread), "desktop-chaos-" + seed + "-" + i);
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((th, e) -> crash.set(e));
            workers.add(t);
        }
        workers.forEach(Thread::start);
        long until = System.nanoTime() + hangMillis * 1_000_000L;
        for (Thread t : workers) {
            t.join(Math.max(1, (until - System.nanoTime()) / 1_000_000L));
            if (t.isAlive()) {
                violation("worker " + t.getName() + " hung; every thread:\n" + threadDump(t));
                return;
            }
        }
        if (crash.get() != null) {
            violation("a worker died: " + trace(crash.get()));
        }
        stopping = true;
        if (Boolean.getBoolean("usbd4j.chaos.verbose")) {
            System.out.println(
                    "seed " + seed + ": bus at frame " + backend.clock().currentFrame());
        }
        windDown();
        for (Io io : ios) {
            if (io.answer == ERROR_IO_PENDING && io.signals.get() != 1) {
                violation("an accepted I/O was signalled " + io.signals.get() + " times (" + io.how + "; device "
                        + (io.buf.plug.unplugged.get() ? "unplugged" : "plugged") + ", OVERLAPPED "
                        + (io.overlapped.hasOverlappedIoCompleted() ? "signalled" : "pending") + ", bus at frame "
                        + backend.clock().currentFrame() + ")");
            }
        }
        for (Io io : ios) {
            if (io.answer != ERROR_IO_PENDING && io.signals.get() != 0) {
                violation("an I/O refused with " + io.answer + " was signalled");
            }
        }
        for (Submission s : submissions) {
            if (s.answer != NtStatus.STATUS_PENDING && s.routines.get() != 0) {
                violation("a URB refused with 0x" + Integer.toHexString(s.answer) + " ran its routine");
            }
            if (s.answer == NtStatus.STATUS_PENDING && s.routines.get() != 1) {
                violation("an accepted URB's routine ran " + s.routines.get() + " times (" + s.packets
                        + " packets from frame " + s.urb.startFrame + ", device "
                        + (s.plug.unplugged.get() ? "unplugged" : "plugged") + ", bus at frame "
                        + backend.clock().currentFrame() + ")");
            }
        }
        for (Buf b : allBuffers) {
            unregister(b);
        }
        usbd.close();
        for (Io io : ios) {
            int[] then = io.atCompletion;
            if (then != null && !Arrays.equals(then, snapshot(io.descriptors))) {
                violation("a read's descriptors changed after it completed (" + io.how + "): " + Arrays.toString(then)
                        + " then, " + Arrays.toString(snapshot(io.descriptors)) + " now");
            }
        }
        for (Submission s : submissions) {
            int[] then = s.atCompletion;
            if (then != null && !Arrays.equals(then, snapshot(s.urb.isoPacket))) {
                violation("a URB's descriptors changed after its routine ran");
            }
        }
        if (usbd.transfersInUse() != 0) {
            violation(usbd.transfersInUse() + " transfers still out of their pools after Usbd.close()");
        }
    }

    static <T> T pick(List<T> from, SplittableRandom r) {
        List<T> now = List.copyOf(from);
        return now.isEmpty() ? null : now.get(r.nextInt(now.size()));
    }

    static int[] snapshot(UsbdIsoPacketDescriptor[] d) {
        int[] s = new int[d.length * 3];
        for (int k = 0; k < d.length; k++) {
            s[3 * k] = d[k].offset;
            s[3 * k + 1] = d[k].length;
            s[3 * k + 2] = d[k].status;
        }
        return s;
    }

    static String trace(Throwable e) {
        StringBuilder where = new StringBuilder(e.toString());
        for (StackTraceElement s : e.getStackTrace()) {
            where.append("\n    at ").append(s);
        }
        return where.toString();
    }
}
