package io.github.usbd4j.host;

import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.SimulatedHostController.ClockMode;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usb.UsbStringDescriptor;
import io.github.usbd4j.win32.Win32;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue item 4a: random CE argument sets over all 42 {@code USB_FUNCS} members on the simulator (virtual
 * clock). No call throws; a call that fails leaves a last error from the member's documented set
 * ([§1.6](reference/ce-usbd.html#s1-6)–[§1.10](reference/ce-usbd.html#s1-10)); every transfer accepted with a callback
 * completes and its callback runs exactly once, and a refused one never calls back. Every isochronous transfer starts
 * where CE's rule puts it ([§1.8](reference/ce-usbd.html#lead)): ASAP at the later of the pipe's stream end and now + 6,
 * an explicit start earlier than that refused with {@code ERROR_CAN_NOT_COMPLETE}; only transfers the controller took
 * move the stream end, a refused one leaves it. Seeded: {@code -Dusbd4j.fuzz.seed}
 * replays a seed, the build runs a fixed one for {@code -Dusbd4j.fuzz.seconds} (2 by default); it prints how many calls
 * it made.
 */
class CeFuncsFuzzTest {
    private static final long SEED = Long.getLong("usbd4j.fuzz.seed", 0x5EEDCE42L);
    private static final double SECONDS = Double.parseDouble(System.getProperty("usbd4j.fuzz.seconds", "2"));
    private static final int CALLS_PER_ROUND = 150;

    private static final Set<Integer> HANDLE_OR_PARAMETER = Set.of(ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER);
    private static final Set<Integer> TRANSFER = Set.of(
            ERROR_INVALID_HANDLE,
            ERROR_INVALID_PARAMETER,
            ERROR_INVALID_USER_BUFFER,
            ERROR_BUSY,
            ERROR_GEN_FAILURE,
            ERROR_TIMEOUT,
            ERROR_OPERATION_ABORTED,
            ERROR_CAN_NOT_COMPLETE);

    /** The documented last errors of each member that can fail; members absent here cannot. */
    private static final Map<String, Set<Integer>> ERRORS = new HashMap<>();

    static {
        ERRORS.put("openClientRegistryKey", Set.of(ERROR_INVALID_PARAMETER));
        ERRORS.put("registerNotificationRoutine", HANDLE_OR_PARAMETER);
        ERRORS.put("unRegisterNotificationRoutine", Set.of(ERROR_INVALID_HANDLE, ERROR_NOT_FOUND));
        ERRORS.put(
                "loadGenericInterfaceDriver", Set.of(ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_FOUND));
        ERRORS.put("translateStringDesc", Set.of(ERROR_INVALID_PARAMETER, ERROR_INSUFFICIENT_BUFFER));
        ERRORS.put("findInterface", Set.of(ERROR_INVALID_PARAMETER, ERROR_NOT_FOUND));
        ERRORS.put("getFrameNumber", HANDLE_OR_PARAMETER);
        ERRORS.put("getFrameLength", HANDLE_OR_PARAMETER);
        ERRORS.put("takeFrameLengthControl", Set.of(ERROR_INVALID_HANDLE, ERROR_BUSY));
        ERRORS.put("releaseFrameLengthControl", Set.of(ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED));
        ERRORS.put("setFrameLength", Set.of(ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER));
        ERRORS.put("getDeviceInfo", Set.of(ERROR_INVALID_HANDLE));
        for (String m : List.of(
                "issueVendorTransfer",
                "getInterface",
                "setInterface",
                "getDescriptor",
                "setDescriptor",
                "setFeature",
                "clearFeature",
                "getStatus",
                "syncFrame",
                "issueControlTransfer",
                "issueBulkTransfer",
                "issueInterruptTransfer",
                "issueIsochTransfer")) {
            ERRORS.put(m, TRANSFER);
        }
        ERRORS.put("openPipe", Set.of(ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_BUSY));
        ERRORS.put("abortPipeTransfers", HANDLE_OR_PARAMETER);
        ERRORS.put("resetPipe", Set.of(ERROR_INVALID_HANDLE));
        ERRORS.put("closePipe", Set.of(ERROR_INVALID_HANDLE));
        ERRORS.put("isPipeHalted", HANDLE_OR_PARAMETER);
        ERRORS.put("getTransferStatus", HANDLE_OR_PARAMETER);
        ERRORS.put("getIsochResults", Set.of(ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_INCOMPLETE));
        ERRORS.put("abortTransfer", Set.of(ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_TIMEOUT));
        ERRORS.put("closeTransfer", Set.of(ERROR_INVALID_HANDLE));
        ERRORS.put("resetDefaultPipe", Set.of(ERROR_INVALID_HANDLE));
        ERRORS.put("isDefaultPipeHalted", HANDLE_OR_PARAMETER);
        ERRORS.put("disableDevice", Set.of(ERROR_INVALID_HANDLE, ERROR_NOT_SUPPORTED));
        ERRORS.put("suspendDevice", Set.of(ERROR_INVALID_HANDLE, ERROR_NOT_SUPPORTED));
        ERRORS.put("resumeDevice", Set.of(ERROR_INVALID_HANDLE, ERROR_NOT_SUPPORTED));
        ERRORS.put("getClientRegistryPath", Set.of(ERROR_INVALID_PARAMETER, ERROR_INSUFFICIENT_BUFFER));
    }

    private static final int[] INTS = {
        0, 1, 2, 3, 8, 18, 64, 255, 256, 512, 1024, 3072, 0xFFFF, 0x10000, -1, Integer.MIN_VALUE, Integer.MAX_VALUE
    };
    private static final int[] SIZES = {0, 0, 1, 2, 8, 18, 64, 512, 1024, 3072, 8192};

    @Test
    void randomArgumentSetsOverEveryMember() {
        Method[] members = UsbFuncs.class.getMethods();
        Arrays.sort(members, Comparator.comparing(Method::getName)); // a fixed order: the seed replays
        assertThat(members).hasSize(42);
        fuzz(members, false, "");
    }

    /** The members an isochronous stream uses: its start frames, refusals, results, aborts and closes. */
    private static final Set<String> STREAM_MEMBERS = Set.of(
            "issueIsochTransfer",
            "setInterface",
            "openPipe",
            "closePipe",
            "abortPipeTransfers",
            "resetPipe",
            "abortTransfer",
            "closeTransfer",
            "isTransferComplete",
            "getTransferStatus",
            "getIsochResults",
            "getFrameNumber");

    /**
     * Random calls of only the members a stream uses, with the bus running between them, so that the start-frame
     * rule of [§1.8](reference/ce-usbd.html#lead) meets many accepted, refused, aborted and closed transfers.
     */
    @Test
    void randomIsochronousStreams() {
        Method[] members = Arrays.stream(UsbFuncs.class.getMethods())
                .filter(m -> STREAM_MEMBERS.contains(m.getName()))
                .sorted(Comparator.comparing(Method::getName)) // a fixed order: the seed replays
                .toArray(Method[]::new);
        assertThat(members).hasSize(STREAM_MEMBERS.size());
        fuzz(members, true, " (isochronous streams)");
    }

    private static void fuzz(Method[] members, boolean streams, String what) {
        Random seeds = new Random(SEED);
        long deadline = System.nanoTime() + (long) (SECONDS * 1e9);
        int calls = 0;
        int rounds = 0;
        Map<String, AtomicInteger> failures = new HashMap<>();
        do {
            long seed = seeds.nextLong();
            calls += new Round(seed, streams).run(members, failures);
            rounds++;
        } while (System.nanoTime() < deadline);
        System.out.printf(
                "CeFuncsFuzzTest%s: %d calls over %d members in %d rounds (seed %#x), failed calls per member %s%n",
                what, calls, members.length, rounds, SEED, failures);
        assertThat(calls).isPositive();
    }

    /** One device on a fresh runtime, {@link #CALLS_PER_ROUND} random calls, then the lost-transfer check. */
    private static final class Round implements UsbClientDriver {
        final long seed;
        final boolean streams;
        final Random rnd;
        final SimulatedHostController sim;
        final Usbd usbd;
        volatile UsbHandle device;
        volatile UsbFuncs f;
        final List<UsbPipe> pipes = new ArrayList<>();
        final List<UsbTransfer> transfers = new ArrayList<>();
        final List<UsbEndpointDescriptor> endpoints = new ArrayList<>();
        final List<UsbInterface> interfaces = new ArrayList<>();
        /** The open isochronous pipes and where CE's rule says their streams end ([§1.8](reference/ce-usbd.html#lead)). */
        final IdentityHashMap<UsbPipe, Long> streamEnd = new IdentityHashMap<>();

        final IdentityHashMap<UsbPipe, UsbEndpointDescriptor> pipeEndpoint = new IdentityHashMap<>();
        /** The accepted isochronous transfers and the length each frame asked for. */
        final IdentityHashMap<UsbTransfer, int[]> requested = new IdentityHashMap<>();

        UsbSpeed speed;
        /** Callbacks per notify parameter (one fresh object per call). */
        final Map<Object, AtomicInteger> callbacks = new ConcurrentHashMap<>();

        final IdentityHashMap<Object, String> accepted = new IdentityHashMap<>();
        final IdentityHashMap<Object, String> refused = new IdentityHashMap<>();
        final TransferNotifyRoutine counting = param -> {
            callbacks.computeIfAbsent(param, k -> new AtomicInteger()).incrementAndGet();
            return 0;
        };
        Object lastParameter;

        Round(long seed, boolean streams) {
            this.seed = seed;
            this.streams = streams;
            this.rnd = new Random(seed);
            sim = SimulatedHostController.builder()
                    .speed(UsbSpeed.HIGH)
                    .clockMode(ClockMode.VIRTUAL)
                    .seed(seed)
                    .build();
            usbd = Usbd.builder().backend(sim).syncTimeoutMillis(20).build();
        }

        int run(Method[] members, Map<String, AtomicInteger> failures) {
            try (usbd) {
                var model = rnd.nextBoolean() ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed();
                speed = model.speed();
                var d = model.deviceDescriptor();
                usbd.registerDriver("Fuzz", UsbDriverSettings.forVendor(d.idVendor(), d.idProduct()), this);
                sim.attach(model);
                assertThat(device).isNotNull();
                UsbDevice info = f.getDeviceInfo(device);
                for (UsbInterface i : info.activeConfig().interfaces()) {
                    interfaces.add(i);
                    for (UsbEndpoint e : i.endpoints()) {
                        endpoints.add(e.descriptor());
                    }
                }
                int n = 0;
                for (; n < CALLS_PER_ROUND; n++) {
                    Method m = members[rnd.nextInt(members.length)];
                    call(m, failures);
                    if (streams && rnd.nextInt(4) == 0) {
                        sim.advanceFrames(rnd.nextInt(30));
                    }
                }
                settle();
                return n;
            }
        }

        private void call(Method m, Map<String, AtomicInteger> failures) {
            Object[] args = new Object[m.getParameterCount()];
            Class<?>[] types = m.getParameterTypes();
            lastParameter = null;
            for (int k = 0; k < args.length; k++) {
                args[k] = arg(types[k]);
            }
            if (streams) {
                towardsStreams(m.getName(), args);
            }
            boolean withCallback = Arrays.stream(args).anyMatch(a -> a == counting);
            String what = m.getName() + Arrays.deepToString(args);
            Win32.setLastError(-12345);
            long now = sim.currentFrame(); // the virtual clock stands still until a call runs the bus
            Object result;
            try {
                result = m.invoke(f, args);
            } catch (InvocationTargetException e) {
                throw new AssertionError(
                        "seed " + seed + ": " + m.getName() + Arrays.deepToString(args) + " threw", e.getCause());
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
            if (result instanceof UsbTransfer t) {
                transfers.add(t);
                if (withCallback) {
                    accepted.put(lastParameter, what);
                }
            } else if (result instanceof UsbPipe p) {
                pipes.add(p);
                UsbEndpointDescriptor e = (UsbEndpointDescriptor) args[1];
                if (e.transferType() == Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS) {
                    streamEnd.put(p, now); // the stream starts where the pipe opened (CE EHCI)
                    pipeEndpoint.put(p, e);
                }
            }
            if (m.getName().equals("issueIsochTransfer")) {
                checkStream(args, now, (UsbTransfer) result, what);
            }
            boolean failed = (result == null && m.getReturnType() != void.class)
                    || (Boolean.FALSE.equals(result) && !m.getName().equals("isTransferComplete"));
            if (failed) {
                failures.computeIfAbsent(m.getName(), k -> new AtomicInteger()).incrementAndGet();
                if (withCallback && m.getReturnType() == UsbTransfer.class) {
                    refused.put(lastParameter, what);
                }
                assertThat(ERRORS.getOrDefault(m.getName(), Set.of()))
                        .as("seed %d: last error of %s", seed, what)
                        .contains(Win32.getLastError());
            }
        }

        /**
         * In the stream rounds, half of these calls get arguments that make streams happen (random ones rarely do):
         * well-formed isochronous transfers, isochronous pipes, alternate settings of the isochronous interface.
         */
        private void towardsStreams(String member, Object[] args) {
            if (!rnd.nextBoolean()) {
                return;
            }
            switch (member) {
                case "issueIsochTransfer" -> wellFormedIsoch(args);
                case "openPipe" -> {
                    List<UsbEndpointDescriptor> iso = endpoints.stream()
                            .filter(e -> e.transferType() == Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS)
                            .toList();
                    args[1] = iso.get(rnd.nextInt(iso.size()));
                }
                case "setInterface" -> {
                    args[3] = 0; // flags
                    args[4] = 0; // the isochronous interface
                    args[5] = rnd.nextInt(4); // one of its alternate settings, selected or left
                }
                default -> {}
            }
        }

        /**
         * Arguments of {@code IssueIsochTransfer} that pass every check: an open isochronous pipe (of any alternate
         * setting: one not selected is refused by the controller), its direction, random other flags, a start frame
         * near now, 1..16 frames within the packet size, a buffer that holds them.
         */
        private void wellFormedIsoch(Object[] args) {
            List<UsbPipe> open = new ArrayList<>();
            for (UsbPipe p : streamEnd.keySet()) {
                if (f.isPipeHalted(p, new boolean[1])) { // TRUE only for a pipe still open
                    open.add(p);
                }
            }
            if (open.isEmpty()) {
                return;
            }
            open.sort(Comparator.comparingInt(pipes::indexOf)); // a fixed order: the seed replays
            UsbPipe p = open.get(rnd.nextInt(open.size()));
            UsbEndpointDescriptor e = pipeEndpoint.get(p);
            int flags = e.bEndpointAddress() & UsbTypes.USB_IN_TRANSFER;
            int[] optional = {
                UsbTypes.USB_START_ISOCH_ASAP,
                UsbTypes.USB_NO_WAIT,
                UsbTypes.USB_SHORT_TRANSFER_OK,
                flags != 0 ? UsbTypes.USB_COMPRESS_ISOCH : 0
            };
            for (int f : optional) {
                flags |= rnd.nextBoolean() ? f : 0;
            }
            int frames = 1 + rnd.nextInt(16);
            int[] lengths = new int[frames];
            int total = 0;
            for (int k = 0; k < frames; k++) {
                lengths[k] = 1 + rnd.nextInt(e.maxPacketPayload());
                total += lengths[k];
            }
            args[0] = p;
            args[3] = flags;
            args[4] = (int) sim.currentFrame() + rnd.nextInt(50) - 10;
            args[5] = frames;
            args[6] = lengths;
            args[7] = ByteBuffer.allocate(total);
            args[8] = 0L;
        }

        /**
         * The start frame of an isochronous transfer, or its refusal, against CE's rule; the stream end moves for a
         * transfer the controller took (returned, or freed after a synchronous time-out), never for a refused one.
         */
        private void checkStream(Object[] args, long now, UsbTransfer result, String what) {
            UsbPipe p = (UsbPipe) args[0];
            Long end = p == null ? null : streamEnd.get(p);
            if (end == null) {
                return;
            }
            int flags = (int) args[3];
            int frames = (int) args[5];
            int error = Win32.getLastError();
            long earliest = Math.max(end, now + Usbd.DEFAULT_START_FRAME_LEAD);
            long start = (flags & UsbTypes.USB_START_ISOCH_ASAP) != 0
                    ? earliest
                    : now + ((int) args[4] - (int) now); // CE's 32-bit frame, read near now
            if (result != null) {
                requested.put(result, Arrays.copyOf((int[]) args[6], frames));
                assertThat(result.startFrame())
                        .as("seed %d: start of %s (now %d, stream end %d)", seed, what, now, end)
                        .isEqualTo((int) start);
            } else if (error == ERROR_CAN_NOT_COMPLETE) {
                assertThat(start)
                        .as("seed %d: %s refused as late (now %d, stream end %d)", seed, what, now, end)
                        .isLessThan(earliest);
                return;
            } else if (error != ERROR_TIMEOUT && error != ERROR_OPERATION_ABORTED) {
                return; // refused: it never ran, and the stream stays where it was
            }
            if (start >= earliest) {
                int perFrame = speed.usesMicroframes() ? 8 : 1;
                long intervals = (long) frames * Endpoints.servicePeriod(pipeEndpoint.get(p), speed);
                streamEnd.put(p, Math.max(end, start + (intervals + perFrame - 1) / perFrame));
            }
        }

        /** Cancels what is left, runs the bus, and checks every accepted callback ran once, refused none. */
        private void settle() {
            for (UsbPipe p : pipes) {
                f.abortPipeTransfers(p, 0);
            }
            for (UsbTransfer t : transfers) {
                f.abortTransfer(t, 0);
            }
            sim.runUntil(() -> accepted.keySet().stream().allMatch(callbacks::containsKey), 2000);
            for (Map.Entry<Object, String> a : accepted.entrySet()) {
                assertThat(callbacks.get(a.getKey()))
                        .as("seed %d: callbacks of %s", seed, a.getValue())
                        .isNotNull()
                        .hasValue(1);
            }
            for (Map.Entry<Object, String> r : refused.entrySet()) {
                assertThat(callbacks.get(r.getKey()))
                        .as("seed %d: a refused %s called back", seed, r.getValue())
                        .isNull();
            }
            requested.forEach(this::checkFrames);
            for (UsbTransfer t : transfers) {
                f.closeTransfer(t);
            }
        }

        /** The per-frame codes {@code GetIsochResults} may report ([§1.3](reference/ce-usbd.html#s1-3)). */
        private static final Set<Integer> FRAME_ERRORS = Set.of(
                0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0C, 0x0D, 0x0E, 0x100, 0x101, 0x103);

        /**
         * Nothing lost: every frame of a completed isochronous transfer that its client has not closed reports a
         * length within what it asked for and a CE code ([§1.8](reference/ce-usbd.html#results)).
         */
        private void checkFrames(UsbTransfer t, int[] lengths) {
            if (!f.isTransferComplete(t)) {
                return; // closed by a random call
            }
            int n = lengths.length;
            int[] actual = new int[n + 1];
            int[] errors = new int[n + 1];
            Arrays.fill(actual, -1);
            Arrays.fill(errors, -1);
            assertThat(f.getIsochResults(t, n + 1, actual, errors))
                    .as("seed %d: GetIsochResults of a complete transfer", seed)
                    .isTrue();
            for (int k = 0; k < n; k++) {
                assertThat(actual[k]).as("seed %d: frame %d's length", seed, k).isBetween(0, lengths[k]);
                assertThat(FRAME_ERRORS)
                        .as("seed %d: frame %d's error", seed, k)
                        .contains(errors[k]);
            }
            assertThat(actual[n])
                    .as("seed %d: the entry past the frames is zeroed", seed)
                    .isZero();
            assertThat(errors[n])
                    .as("seed %d: the entry past the frames is zeroed", seed)
                    .isZero();
        }

        private <T> T pick(List<T> from) {
            return from.isEmpty() || rnd.nextInt(6) == 0 ? null : from.get(rnd.nextInt(from.size()));
        }

        private int anyInt() {
            return switch (rnd.nextInt(4)) {
                case 0 -> INTS[rnd.nextInt(INTS.length)];
                case 1 -> rnd.nextInt(UsbTypes.USB_ALL_FLAGS + 1) & UsbTypes.USB_ALL_FLAGS; // a flag set
                case 2 -> rnd.nextInt(16);
                default -> rnd.nextInt();
            };
        }

        private ByteBuffer buffer() {
            int n = SIZES[rnd.nextInt(SIZES.length)];
            return switch (rnd.nextInt(7)) {
                case 0 -> null;
                case 1 -> ByteBuffer.allocateDirect(n);
                case 2 -> ByteBuffer.allocate(n).asReadOnlyBuffer();
                case 3 -> ByteBuffer.allocate(n + 4).position(rnd.nextInt(5)); // a position past 0
                default -> ByteBuffer.allocate(n);
            };
        }

        private Object arg(Class<?> type) {
            if (type == int.class) {
                return anyInt();
            }
            if (type == long.class) {
                return rnd.nextInt(8) == 0 ? 0x1000L : 0L;
            }
            if (type == boolean.class) {
                return rnd.nextBoolean();
            }
            if (type == UsbHandle.class) {
                return rnd.nextInt(8) == 0 ? null : device;
            }
            if (type == UsbPipe.class) {
                return pick(pipes);
            }
            if (type == UsbTransfer.class) {
                return pick(transfers);
            }
            if (type == TransferNotifyRoutine.class) {
                return rnd.nextBoolean() ? null : counting;
            }
            if (type == Object.class) {
                lastParameter = new Object();
                return lastParameter;
            }
            if (type == ByteBuffer.class) {
                return buffer();
            }
            if (type == int[].class) {
                int n = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(8);
                int[] a = rnd.nextInt(8) == 0 ? null : new int[n];
                for (int k = 0; a != null && k < n; k++) {
                    a[k] = rnd.nextBoolean() ? SIZES[rnd.nextInt(SIZES.length)] : anyInt();
                }
                return a;
            }
            if (type == boolean[].class) {
                return rnd.nextInt(4) == 0 ? null : new boolean[rnd.nextInt(2)];
            }
            if (type == char[].class) {
                return rnd.nextInt(4) == 0 ? null : new char[SIZES[rnd.nextInt(SIZES.length)]];
            }
            if (type == String.class) {
                return switch (rnd.nextInt(4)) {
                    case 0 -> null;
                    case 1 -> "";
                    case 2 -> "Nobody";
                    default -> "Fuzz";
                };
            }
            if (type == UsbDeviceRequest.class) {
                int[] types = {0x00, 0x80, 0x40, 0xC0, 0x01, 0x81, 0x21, 0xA1, 0x02, 0x82};
                return rnd.nextInt(8) == 0
                        ? null
                        : new UsbDeviceRequest(
                                types[rnd.nextInt(types.length)],
                                rnd.nextInt(256),
                                rnd.nextInt(0x10000),
                                rnd.nextInt(0x10000),
                                SIZES[rnd.nextInt(SIZES.length)]);
            }
            if (type == UsbEndpointDescriptor.class) {
                if (rnd.nextInt(3) > 0) {
                    return pick(endpoints);
                }
                return UsbEndpointDescriptor.of(
                        rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(0x10000), rnd.nextInt(256));
            }
            if (type == UsbInterface.class) {
                return pick(interfaces);
            }
            if (type == UsbDevice.class) {
                return rnd.nextInt(6) == 0 ? null : f.getDeviceInfo(device);
            }
            if (type == UsbStringDescriptor.class) {
                return switch (rnd.nextInt(3)) {
                    case 0 -> null;
                    case 1 -> UsbStringDescriptor.of("x".repeat(rnd.nextInt(100)));
                    default -> new UsbStringDescriptor(6, 5, "ab");
                };
            }
            if (type == DeviceNotifyRoutine.class) {
                return rnd.nextBoolean() ? null : (DeviceNotifyRoutine) (p, code, a, b, c, d) -> true;
            }
            if (type == Runnable.class) {
                return rnd.nextBoolean() ? null : (Runnable) () -> {};
            }
            if (type == ClientRegistryKey.class) {
                return null;
            }
            throw new AssertionError("no generator for " + type);
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
            f = usbFuncs;
            device = hDevice;
            acceptControl[0] = true;
            return true;
        }
    }
}
