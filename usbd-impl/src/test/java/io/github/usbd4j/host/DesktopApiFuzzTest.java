package io.github.usbd4j.host;

import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import io.github.usbd4j.wdm.NtStatus;
import io.github.usbd4j.wdm.Urb;
import io.github.usbd4j.wdm.UrbCompletionRoutine;
import io.github.usbd4j.wdm.UsbdHandle;
import io.github.usbd4j.wdm.UsbdPipeHandle;
import io.github.usbd4j.wdm.Wdm;
import io.github.usbd4j.win32.Win32;
import io.github.usbd4j.winusb.Overlapped;
import io.github.usbd4j.winusb.WinUsb;
import io.github.usbd4j.winusb.WinUsbInterfaceHandle;
import io.github.usbd4j.winusb.WinUsbIsochBufferHandle;
import io.github.usbd4j.winusb.WinUsbPipeInformationEx;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Random argument sets over every WinUSB isochronous function ([§2.2](reference/winusb.html#s2-2)) and every WDM URB
 * call ([§3](reference/wdm.html#s3)) on the simulator's high-speed loopback device (virtual clock), one thread: live,
 * freed and {@code null} handles, registered and unregistered buffers, read-only and short buffers, lengths and
 * offsets from the edges of {@code int}, start frames near, behind and far from the bus's, descriptor arrays of the
 * wrong size, URBs with any function, flags, counts and packet offsets, and {@code OVERLAPPED}s and URBs passed again
 * while their I/O is pending.
 *
 * <p>What a ported driver relies on, checked for every call: no call throws; a WinUSB call that fails leaves a last
 * error of [§2.6](reference/winusb.html#s2-6) ({@code ERROR_IO_PENDING} for an accepted overlapped I/O); a WDM call
 * answers an {@code NTSTATUS} of its own; every I/O that was accepted ({@code ERROR_IO_PENDING}, a synchronous
 * {@code TRUE}, {@code STATUS_PENDING}) completes exactly once and a refused one never; every packet of a completed
 * read or URB has a status and a length within its packet ([§3.6](reference/wdm.html#s3-6)); and after {@code
 * Usbd.close()} no transfer is out of its pool. Seeded: {@code -Dusbd4j.fuzz.seed} replays a seed; the build runs a
 * fixed one for {@code -Dusbd4j.fuzz.seconds} (2 by default).
 */
class DesktopApiFuzzTest {
    private static final long SEED = Long.getLong("usbd4j.fuzz.seed", 0x5EED0D5CL);
    private static final double SECONDS = Double.parseDouble(System.getProperty("usbd4j.fuzz.seconds", "2"));
    private static final int CALLS_PER_ROUND = 120;
    /** What the test writes into a status before the stack may: a value no stack writes. */
    private static final int UNSET = 0x5EED_0001;
    /** HS loopback, alternate setting 1: 1024 bytes per microframe, bInterval 1, so 8 KiB per 1 ms frame. */
    private static final int FRAME_BYTES = 8 * 1024;

    /** [§2.6](reference/winusb.html#s2-6): the last errors a failing WinUSB call may leave. */
    private static final Set<Integer> WINUSB_ERRORS = Set.of(
            ERROR_IO_PENDING,
            ERROR_INVALID_PARAMETER,
            ERROR_INVALID_HANDLE,
            ERROR_NO_MORE_ITEMS,
            ERROR_GEN_FAILURE,
            ERROR_IO_INCOMPLETE,
            ERROR_OPERATION_ABORTED);

    /** The {@code NTSTATUS} answers of the WDM calls ([§3](reference/wdm.html#s3)). */
    private static final Set<Integer> WDM_ANSWERS = Set.of(
            NtStatus.STATUS_SUCCESS,
            NtStatus.STATUS_PENDING,
            NtStatus.STATUS_INVALID_PARAMETER,
            NtStatus.STATUS_UNSUCCESSFUL,
            NtStatus.STATUS_DEVICE_NOT_CONNECTED,
            NtStatus.STATUS_INSUFFICIENT_RESOURCES);

    private static final List<Method> METHODS = new ArrayList<>();
    /** Calls that end a handle's or an I/O's life, made less often than the others. */
    private static final Set<String> DESTRUCTIVE = Set.of(
            "free",
            "unregisterIsochBuffer",
            "usbdUrbFree",
            "abortPipe",
            "setCurrentAlternateSetting",
            "selectInterface");

    static {
        for (Class<?> api : List.of(WinUsb.class, Wdm.class)) {
            Arrays.stream(api.getMethods())
                    .filter(m -> !m.isDefault() && !java.lang.reflect.Modifier.isStatic(m.getModifiers()))
                    .sorted(Comparator.comparing(Method::getName).thenComparing(m -> m.getParameterCount()))
                    .forEach(METHODS::add);
        }
    }

    @Test
    void randomArguments_areAnsweredInEachPersonalitysTerms_andEveryAcceptedIoCompletesOnce() throws Exception {
        Random seeds = new Random(SEED);
        long end = System.nanoTime() + (long) (SECONDS * 1e9);
        int rounds = 0;
        long calls = 0;
        long ios = 0;
        do {
            long seed = seeds.nextLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] made = new long[2];
            Thread t = new Thread(
                    () -> {
                        try (Round r = new Round(seed)) {
                            made[0] = r.run();
                            made[1] = r.accepted.values().stream()
                                    .mapToInt(AtomicInteger::get)
                                    .sum();
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    },
                    "fuzz-" + Long.toHexString(seed));
            t.start();
            t.join(120_000); // a guard against a hang only: a round takes milliseconds of virtual time
            if (t.isAlive()) {
                StringBuilder dump = new StringBuilder();
                for (StackTraceElement e : t.getStackTrace()) {
                    dump.append("\n    at ").append(e);
                }
                throw new AssertionError("seed 0x" + Long.toHexString(seed) + ": a call hung" + dump);
            }
            if (failure.get() != null) {
                throw new AssertionError(
                        "seed 0x" + Long.toHexString(seed) + " (-Dusbd4j.fuzz.seed=" + seed + ")", failure.get());
            }
            calls += made[0];
            ios += made[1];
            rounds++;
        } while (System.nanoTime() < end && rounds < 2000);
        System.out.printf(
                "DesktopApiFuzzTest: %d rounds, %d WinUSB and WDM calls, %d overlapped I/Os and URBs accepted%n",
                rounds, calls, ios);
        assertThat(ios).as("I/Os accepted: the fuzz reaches the transfer paths").isGreaterThan(rounds);
    }

    /** One seed: a device, handles and buffers made by the fuzz's own calls, then random calls. */
    private static final class Round implements AutoCloseable {
        final Random r;
        final CeDriverFixture fx;
        final WinUsb w;
        final Wdm wdm;
        final DeviceHandle device;

        final List<WinUsbInterfaceHandle> interfaces = new ArrayList<>();
        final List<WinUsbIsochBufferHandle> buffers = new ArrayList<>();
        final List<UsbdHandle> usbdHandles = new ArrayList<>();
        final List<Urb> urbs = new ArrayList<>();
        final List<Overlapped> overlappeds = new ArrayList<>();

        /**
         * Per OVERLAPPED or URB (neither overrides {@code equals}): I/Os accepted with it, and callbacks or routines
         * it got, perhaps on another thread.
         */
        final Map<Object, AtomicInteger> accepted = new ConcurrentHashMap<>();

        final Map<Object, AtomicInteger> called = new ConcurrentHashMap<>();
        /** Per accepted WinUSB read: its descriptors (never passed again) and how many packets it asked for. */
        final List<Object[]> reads = new ArrayList<>();

        final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        final List<String> log = new ArrayList<>();

        Round(long seed) {
            r = new Random(seed);
            fx = new CeDriverFixture(new SimHarness(), Usbd.builder(), UsbSpeed.HIGH).plug();
            w = fx.usbd.winUsb();
            wdm = fx.usbd.wdm();
            device = fx.usbd.devices().get(0);
            WinUsbInterfaceHandle[] ih = new WinUsbInterfaceHandle[1];
            if (w.initialize(device, ih)) {
                interfaces.add(ih[0]);
                w.setCurrentAlternateSetting(ih[0], 1);
            }
            UsbdHandle[] uh = new UsbdHandle[1];
            if (wdm.usbdCreateHandle(device, uh) == NtStatus.STATUS_SUCCESS) {
                usbdHandles.add(uh[0]);
            }
            for (int pipe : new int[] {0x01, 0x81}) {
                WinUsbIsochBufferHandle[] bh = new WinUsbIsochBufferHandle[1];
                ByteBuffer b = ByteBuffer.allocateDirect(4 * FRAME_BYTES);
                if (!interfaces.isEmpty() && w.registerIsochBuffer(interfaces.get(0), pipe, b, b.capacity(), bh)) {
                    buffers.add(bh[0]);
                }
            }
        }

        /**
         * Turns most of a call's arguments into what a driver would pass, leaving the rest random: live handles, whole
         * frames inside the buffer, a packet count and descriptors that match the length, a start frame just ahead.
         */
        void plausible(String name, Object[] args) {
            switch (name) {
                case "registerIsochBuffer" -> {
                    args[0] = pick(interfaces);
                    args[1] = r.nextBoolean() ? 0x01 : 0x81;
                    ByteBuffer b = ByteBuffer.allocateDirect(FRAME_BYTES * (1 + r.nextInt(4)));
                    args[2] = b;
                    args[3] = b.capacity();
                    args[4] = new WinUsbIsochBufferHandle[1];
                }
                case "writeIsochPipe", "readIsochPipe", "writeIsochPipeAsap", "readIsochPipeAsap" -> {
                    args[0] = pick(buffers);
                    int frames = 1 + r.nextInt(2);
                    args[1] = FRAME_BYTES * r.nextInt(4 - frames + 1);
                    args[2] = FRAME_BYTES * frames;
                    if (name.endsWith("Asap")) {
                        args[3] = r.nextInt(3) == 0;
                    } else {
                        args[3] = new int[] {fx.frame() + 4 + r.nextInt(8)};
                    }
                    if (name.startsWith("read")) {
                        int packets = frames * FRAME_BYTES / 1024;
                        args[4] = packets;
                        args[5] = arg(name, UsbdIsoPacketDescriptor[].class);
                        if (args[5] == null || ((Object[]) args[5]).length != packets) {
                            UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(packets);
                            for (UsbdIsoPacketDescriptor x : d) {
                                x.status = UNSET;
                                x.length = -1;
                            }
                            args[5] = d;
                        }
                    }
                }
                case "getOverlappedResult" -> {
                    args[0] = pick(interfaces);
                    args[1] = overlappeds.isEmpty() ? args[1] : pick(overlappeds);
                    args[2] = new int[1];
                }
                case "setCurrentAlternateSetting" -> args[1] = r.nextInt(3);
                case "usbdIsochUrbAllocate" -> {
                    args[0] = pick(usbdHandles);
                    args[1] = 8 * (1 + r.nextInt(4)) + (r.nextInt(4) == 0 ? r.nextInt(8) : 0);
                    args[2] = new Urb[1];
                }
                case "submitUrb" -> {
                    args[0] = pick(usbdHandles);
                    if (args[1] instanceof Urb u && !pending(u)) {
                        wellFormed(u, (UsbdHandle) args[0]);
                    }
                }
                default -> {}
            }
        }

        /** An isochronous URB as a driver fills it: one direction, whole packets, offsets in order. */
        void wellFormed(Urb u, UsbdHandle h) {
            int endpoint = r.nextBoolean() ? 0x01 : 0x81;
            int most = Math.max(1, u.isoPacket.length - 1); // the last entry is the stack's
            int n = most >= 8 && r.nextInt(4) != 0 ? 8 * (1 + r.nextInt(most / 8)) : 1 + r.nextInt(most);
            u.hdrFunction = Urb.URB_FUNCTION_ISOCH_TRANSFER;
            u.hdrLength = Urb.getIsoUrbSize(n);
            u.hdrStatus = UNSET;
            u.pipeHandle = h == null ? null : wdm.pipeHandle(h, endpoint);
            u.transferFlags = (endpoint == 0x81 ? Urb.USBD_TRANSFER_DIRECTION_IN : Urb.USBD_TRANSFER_DIRECTION_OUT)
                    | (r.nextBoolean() ? Urb.USBD_START_ISO_TRANSFER_ASAP : 0);
            u.numberOfPackets = n;
            u.transferBuffer = ByteBuffer.allocateDirect(n * 1024);
            u.transferBufferLength = n * 1024;
            u.startFrame = fx.frame() + 4 + r.nextInt(8);
            u.errorCount = 0;
            for (int k = 0; k < u.isoPacket.length; k++) {
                u.isoPacket[k] = new UsbdIsoPacketDescriptor();
                u.isoPacket[k].offset = k * 1024;
                u.isoPacket[k].length = -1;
                u.isoPacket[k].status = UNSET;
            }
        }

        long run() throws Exception {
            long calls = 0;
            for (int i = 0; i < CALLS_PER_ROUND; i++) {
                Method m = METHODS.get(r.nextInt(METHODS.size()));
                if (DESTRUCTIVE.contains(m.getName()) && r.nextInt(4) != 0) {
                    m = METHODS.get(r.nextInt(METHODS.size())); // else handles die faster than I/O gets made
                }
                Object[] args = new Object[m.getParameterCount()];
                Class<?>[] types = m.getParameterTypes();
                for (int k = 0; k < args.length; k++) {
                    args[k] = arg(m.getName(), types[k]);
                }
                if (r.nextInt(4) != 0) {
                    plausible(m.getName(), args); // else few calls would get past the first check
                }
                call(m, args);
                calls++;
                if (r.nextInt(4) == 0) {
                    fx.harness.runFrames(r.nextInt(12));
                }
            }
            // let everything pending finish: every accepted I/O is due within 1024 frames
            for (int f = 0; f < 2100 && !allDone(); f += 20) {
                fx.harness.runFrames(20);
            }
            for (Map.Entry<Object, AtomicInteger> e : accepted.entrySet()) {
                int n = count(called, e.getKey());
                if (n != e.getValue().get()) {
                    violations.add(what(e.getKey()) + " accepted " + e.getValue() + " I/Os, completed " + n);
                }
            }
            for (Map.Entry<Object, AtomicInteger> e : called.entrySet()) {
                if (!accepted.containsKey(e.getKey())) {
                    violations.add(what(e.getKey()) + " was never accepted, yet completed " + e.getValue());
                }
            }
            for (Object[] read : reads) {
                filledIn((UsbdIsoPacketDescriptor[]) read[0], (Integer) read[1], "WinUSB read");
            }
            check();
            return calls;
        }

        boolean allDone() {
            for (Object o : accepted.keySet()) {
                if (pending(o)) {
                    return false;
                }
            }
            return true;
        }

        static int count(Map<Object, AtomicInteger> counts, Object o) {
            AtomicInteger n = counts.get(o);
            return n == null ? 0 : n.get();
        }

        /** Every packet of a completed read or URB has a status and a length within a packet. */
        void filledIn(UsbdIsoPacketDescriptor[] d, int packets, String what) {
            for (int k = 0; k < packets; k++) {
                if (d[k].status == UNSET || d[k].length < 0 || d[k].length > 3 * 1024) {
                    violations.add(
                            "packet " + k + " of " + packets + " of a completed " + what + " not filled in: " + d[k]);
                    return;
                }
            }
        }

        void call(Method m, Object[] args) throws IllegalAccessException {
            Object api = m.getDeclaringClass() == WinUsb.class ? w : wdm;
            Win32.setLastError(UNSET);
            Object answer;
            String shown = m.getName() + shown(args);
            log.add(shown);
            try {
                answer = m.invoke(api, args);
            } catch (InvocationTargetException e) {
                throw new AssertionError(
                        shown + " threw; calls so far:\n  " + String.join("\n  ", tail()), e.getCause());
            }
            int error = Win32.getLastError();
            if (api == w) {
                boolean ok = (Boolean) answer;
                if (!ok && !WINUSB_ERRORS.contains(error)) {
                    violations.add(shown + " failed with last error " + error);
                }
                afterWinUsb(m.getName(), args, ok, error);
            } else if (answer instanceof Integer nt) {
                if (!WDM_ANSWERS.contains(nt)) {
                    violations.add(shown + " answered 0x" + Integer.toHexString(nt));
                }
                afterWdm(m.getName(), args, nt);
            }
            check();
        }

        /** Keeps what a call made, and counts the I/O it accepted. */
        void afterWinUsb(String name, Object[] args, boolean ok, int error) {
            switch (name) {
                case "initialize", "getAssociatedInterface" -> {
                    WinUsbInterfaceHandle[] out = (WinUsbInterfaceHandle[]) args[args.length - 1];
                    if (ok && out != null && out.length > 0 && out[0] != null) {
                        interfaces.add(out[0]);
                    }
                }
                case "registerIsochBuffer" -> {
                    WinUsbIsochBufferHandle[] out = (WinUsbIsochBufferHandle[]) args[4];
                    if (ok && out != null && out.length > 0 && out[0] != null) {
                        buffers.add(out[0]);
                    }
                }
                case "writeIsochPipe", "readIsochPipe", "writeIsochPipeAsap", "readIsochPipeAsap" -> {
                    Overlapped o = (Overlapped) args[args.length - 1];
                    boolean started = o == null ? ok : !ok && error == ERROR_IO_PENDING;
                    if (o != null && ok) {
                        violations.add(name + " with an OVERLAPPED returned TRUE: an isochronous I/O is pending");
                    }
                    if (started && o != null) {
                        accepted.computeIfAbsent(o, x -> new AtomicInteger()).incrementAndGet();
                    }
                    if (started && name.startsWith("read")) {
                        reads.add(new Object[] {args[5], args[4]}); // both reads: descriptors at 5, packets at 4
                    }
                }
                default -> {}
            }
        }

        void afterWdm(String name, Object[] args, int nt) {
            switch (name) {
                case "usbdCreateHandle" -> {
                    UsbdHandle[] out = (UsbdHandle[]) args[1];
                    if (nt == NtStatus.STATUS_SUCCESS && out != null && out.length > 0 && out[0] != null) {
                        usbdHandles.add(out[0]);
                    }
                }
                case "usbdIsochUrbAllocate" -> {
                    Urb[] out = (Urb[]) args[2];
                    if (nt == NtStatus.STATUS_SUCCESS && out != null && out.length > 0 && out[0] != null) {
                        urbs.add(out[0]);
                    }
                }
                case "submitUrb" -> {
                    if (nt == NtStatus.STATUS_PENDING) {
                        accepted.computeIfAbsent(args[1], x -> new AtomicInteger())
                                .incrementAndGet();
                    }
                }
                default -> {}
            }
        }

        Object arg(String method, Class<?> type) {
            if (type == int.class) {
                return anInt();
            }
            if (type == boolean.class) {
                return r.nextBoolean();
            }
            if (type == long.class) {
                return r.nextInt(3) == 0 ? r.nextLong() : (long) r.nextInt(1_000_000);
            }
            if (r.nextInt(12) == 0) {
                return null;
            }
            if (type == DeviceHandle.class) {
                return device;
            }
            if (type == WinUsbInterfaceHandle.class) {
                return pick(interfaces);
            }
            if (type == WinUsbInterfaceHandle[].class) {
                return new WinUsbInterfaceHandle[r.nextInt(5) == 0 ? 0 : 1];
            }
            if (type == WinUsbIsochBufferHandle.class) {
                return pick(buffers);
            }
            if (type == WinUsbIsochBufferHandle[].class) {
                return new WinUsbIsochBufferHandle[r.nextInt(5) == 0 ? 0 : 1];
            }
            if (type == WinUsbPipeInformationEx[].class) {
                return new WinUsbPipeInformationEx[r.nextInt(5) == 0 ? 0 : 1];
            }
            if (type == ByteBuffer.class) {
                int size = switch (r.nextInt(5)) {
                    case 0 -> 0;
                    case 1 -> r.nextInt(3 * FRAME_BYTES);
                    default -> FRAME_BYTES * (1 + r.nextInt(4));
                };
                ByteBuffer b = r.nextBoolean() ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
                if (size > 0 && r.nextInt(6) == 0) {
                    b.position(r.nextInt(size));
                }
                return r.nextInt(8) == 0 ? b.asReadOnlyBuffer() : b;
            }
            if (type == int[].class) {
                int[] a = new int[r.nextInt(8) == 0 ? 0 : 1];
                if (a.length > 0) {
                    a[0] = aFrame();
                }
                return a;
            }
            if (type == long[].class) {
                return new long[r.nextInt(8) == 0 ? 0 : 1];
            }
            if (type == UsbdIsoPacketDescriptor[].class) {
                int n = r.nextInt(6) == 0 ? r.nextInt(3) : 8 * (1 + r.nextInt(3)) + (r.nextInt(5) == 0 ? 1 : 0);
                UsbdIsoPacketDescriptor[] d = UsbdIsoPacketDescriptor.array(n);
                for (UsbdIsoPacketDescriptor x : d) {
                    x.status = UNSET;
                    x.length = -1;
                }
                if (n > 0 && r.nextInt(10) == 0) {
                    d[r.nextInt(n)] = null;
                }
                return d;
            }
            if (type == Overlapped.class) {
                if (!overlappeds.isEmpty() && r.nextInt(3) == 0) {
                    return pick(overlappeds); // perhaps one whose I/O is still pending
                }
                Overlapped[] self = new Overlapped[1];
                self[0] = new Overlapped(
                        o -> called.computeIfAbsent(o, x -> new AtomicInteger()).incrementAndGet());
                overlappeds.add(self[0]);
                return self[0];
            }
            if (type == UsbdHandle.class) {
                return pick(usbdHandles);
            }
            if (type == UsbdHandle[].class) {
                return new UsbdHandle[r.nextInt(5) == 0 ? 0 : 1];
            }
            if (type == Urb[].class) {
                return new Urb[r.nextInt(5) == 0 ? 0 : 1];
            }
            if (type == Urb.class) {
                Urb u = urbs.isEmpty() || r.nextInt(6) == 0 ? new Urb(1 + r.nextInt(40)) : pick(urbs);
                if (!pending(u)) {
                    scramble(u); // a driver rewrites its URB between submissions, never while it is pending
                }
                return u;
            }
            if (type == UsbdPipeHandle.class) {
                UsbdHandle h = pick(usbdHandles);
                return h == null ? null : wdm.pipeHandle(h, anEndpoint());
            }
            if (type == UrbCompletionRoutine.class) {
                return (UrbCompletionRoutine) (urb, nt, ctx) -> {
                    called.computeIfAbsent(urb, x -> new AtomicInteger()).incrementAndGet();
                    if (urb.hdrFunction == Urb.URB_FUNCTION_ISOCH_TRANSFER) {
                        filledIn(urb.isoPacket, urb.numberOfPackets, "URB"); // before the driver reuses it
                    }
                    if (nt != NtStatus.STATUS_SUCCESS
                            && nt != NtStatus.STATUS_CANCELLED
                            && nt != NtStatus.STATUS_UNSUCCESSFUL) {
                        violations.add("a completion routine got NTSTATUS 0x" + Integer.toHexString(nt));
                    }
                    if (urb.hdrStatus == UNSET) {
                        violations.add("a URB completed without its Hdr.Status");
                    }
                };
            }
            if (type == Object.class) {
                return r.nextBoolean() ? "context" : null;
            }
            throw new AssertionError("no values for " + type + " of " + method);
        }

        boolean pending(Object o) {
            return count(accepted, o) != count(called, o);
        }

        void scramble(Urb u) {
            int n = u.isoPacket.length - 1; // the array holds one descriptor past the last for the stack's use
            u.hdrFunction = switch (r.nextInt(8)) {
                case 0 -> Urb.URB_FUNCTION_ABORT_PIPE;
                case 1 -> Urb.URB_FUNCTION_GET_CURRENT_FRAME_NUMBER;
                case 2 -> r.nextInt();
                default -> Urb.URB_FUNCTION_ISOCH_TRANSFER;
            };
            u.hdrLength = r.nextInt(4) == 0 ? r.nextInt() : Urb.getIsoUrbSize(Math.max(n, 0));
            u.hdrStatus = UNSET;
            UsbdHandle h = pick(usbdHandles);
            u.pipeHandle = h == null ? null : wdm.pipeHandle(h, anEndpoint());
            u.transferFlags = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(Urb.VALID_TRANSFER_FLAGS_MASK + 1);
            u.numberOfPackets = r.nextInt(5) == 0 ? r.nextInt() : r.nextInt(Math.max(n, 0) + 2);
            int packet = r.nextBoolean() ? 1024 : 1 + r.nextInt(2048);
            int packets = Math.max(0, Math.min(u.numberOfPackets, Math.max(n, 0)));
            u.transferBuffer = r.nextInt(10) == 0 ? null : (ByteBuffer) arg("a URB", ByteBuffer.class);
            u.transferBufferLength = r.nextInt(4) == 0 ? r.nextInt() : packets * packet;
            u.startFrame = aFrame();
            u.errorCount = r.nextInt(4) == 0 ? r.nextInt() : 0;
            for (int k = 0; k < u.isoPacket.length; k++) {
                UsbdIsoPacketDescriptor d = new UsbdIsoPacketDescriptor();
                d.offset = r.nextInt(8) == 0 ? r.nextInt() : k * packet;
                d.length = -1;
                d.status = UNSET;
                u.isoPacket[k] = r.nextInt(40) == 0 ? null : d; // the array's entries can be replaced, or removed
            }
        }

        int anInt() {
            return switch (r.nextInt(10)) {
                case 0 -> r.nextInt();
                case 1 -> r.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
                case 2 -> -1 - r.nextInt(3);
                case 3 -> r.nextInt(4);
                case 4 -> anEndpoint();
                case 5 -> aFrame();
                default -> FRAME_BYTES * r.nextInt(5) + (r.nextInt(4) == 0 ? r.nextInt(1024) : 0);
            };
        }

        int anEndpoint() {
            int[] e = {0x01, 0x81, 0x02, 0x82, 0x00, 0x80, 0x0F, 0x8F, 0x7F};
            return e[r.nextInt(e.length)];
        }

        /** A frame near, behind or far from the bus's: where the start-frame rules change their answer. */
        int aFrame() {
            int now = fx.frame();
            int[] d = {-5000, -1024, -10, -1, 0, 1, 2, 5, 6, 10, 100, 1023, 1024, 5000};
            return r.nextInt(8) == 0 ? r.nextInt() : now + d[r.nextInt(d.length)];
        }

        <T> T pick(List<T> from) {
            return from.isEmpty() ? null : from.get(r.nextInt(from.size()));
        }

        /** The arguments, arrays by their length (a descriptor array printed whole drowns the log). */
        static String shown(Object[] args) {
            StringBuilder b = new StringBuilder("(");
            for (Object a : args) {
                if (b.length() > 1) {
                    b.append(", ");
                }
                if (a instanceof Object[] array) {
                    b.append(array.getClass().getComponentType().getSimpleName())
                            .append('[')
                            .append(array.length)
                            .append(']');
                } else if (a instanceof int[] ints) {
                    b.append(Arrays.toString(ints));
                } else if (a instanceof ByteBuffer buf) {
                    b.append(buf.isDirect() ? "direct" : "heap")
                            .append(buf.isReadOnly() ? " read-only" : "")
                            .append(" buffer ")
                            .append(buf.position())
                            .append('/')
                            .append(buf.capacity());
                } else {
                    b.append(a);
                }
            }
            return b.append(')').toString();
        }

        String what(Object o) {
            return o instanceof Urb ? "a URB" : "an OVERLAPPED";
        }

        List<String> tail() {
            return log.subList(Math.max(0, log.size() - 12), log.size());
        }

        void check() {
            if (!violations.isEmpty()) {
                throw new AssertionError(
                        String.join("\n", violations) + "\ncalls so far:\n  " + String.join("\n  ", tail()));
            }
        }

        @Override
        public void close() {
            fx.close();
            assertThat(fx.usbd.transfersInUse())
                    .as("transfers out of their pools after Usbd.close()")
                    .isZero();
        }
    }
}
