package io.github.usbd4j.realkernel;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.realkernel.UsbAudioScenarios.check;

import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.ForwardingHostController;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.usb4java.Context;
import org.usb4java.Device;
import org.usb4java.DeviceDescriptor;
import org.usb4java.DeviceHandle;
import org.usb4java.DeviceList;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;
import org.usb4java.TransferCallback;

/**
 * The guest side of the real-stack benchmark ({@code benchmarks/real-stack.sh}): the same isochronous
 * stream, once through a hand-written usb4java loop and once through a CE client driver on this
 * library's usb4java backend, alternating, on three paths of one guest boot:
 *
 * <ul>
 *   <li>{@code xhci-out}: iso OUT to QEMU's usb-audio on the guest's xHCI (192-byte packets, 1 ms);
 *   <li>{@code uhci-out}: the same on the guest's UHCI;
 *   <li>{@code usbip-in}: iso IN from this project's loopback device over USB/IP (vhci-hcd), 512-byte
 *       packets at the server's real-time full-speed bus.
 * </ul>
 *
 * <p>Both sides have the same shape: 4 transfers of 8 packets in flight, ASAP, each resubmitted from its
 * completion callback after its packets were checked (status, length; for IN the pattern's first and last
 * byte) and, for OUT, refilled with the next packets of {@link WavPattern#CE} (the host then checks each
 * capture bit-exact). The raw loop is what a careful usb4java user writes: transfers allocated and filled
 * once ({@code fillIsoTransfer}, {@code setIsoPacketLengths}), the packet descriptors fetched once, one
 * event thread in {@code handleEventsTimeoutCompleted}, resubmission straight from the callback. The CE
 * side uses the library's defaults ({@code LibusbHostController.builder().device(vid, pid)},
 * {@code Usbd.builder()}).
 *
 * <p>Each run's measured window is the streaming phase only (first submission to last completion); set-up
 * and tear-down are outside it. For each run it reports one line {@code RESULT run INFO path=… kind=…
 * round=… packets=… failed=… lost=… cpuNs=… …}, which the host side ({@link RealStackBench}) tabulates.
 *
 * <p>Arguments: {@code rounds packets jfr|perf|nojfr [inline]}; with {@code jfr}, each measured run is
 * recorded by JDK Flight Recorder ({@code profile} settings) into the share as
 * {@code <path>-<kind>-<round>.jfr}; with {@code perf}, it is sampled by the host's {@code perf} (run in the
 * guest, CPU clock at 2 kHz) and reported by thread, library and symbol, JIT-compiled Java methods named, as
 * {@code <path>-<kind>-<round>.perf.txt}; with {@code inline}, a third kind, {@code ce-inline}, runs the CE driver with
 * {@code Usbd.builder().callbackExecutor(Runnable::run)}: callbacks run on whichever thread completes the
 * transfer. The default ({@code ce}) already runs them on the backend's event thread, with no hand-off.
 */
@SuppressWarnings("try") // the streams' close() waits for their transfers, so it may be interrupted
public final class RealStackGuest {
    static final String SCENARIO = "run";

    /** System property: how many warm-up rounds run before the counted ones (default 1). */
    static final String WARM_UPS_PROPERTY = "usbd4j.bench.warmUps";
    /** Meter readings before the first run: enough for the JIT to compile the meter's code. */
    private static final int METER_WARM_UP = 300;

    static final int PER_TRANSFER = 8;
    static final int IN_FLIGHT = 4;
    static final int AUDIO_PACKET = UsbAudioScenarios.PACKET;
    static final int AUDIO_FRAMES = UsbAudioScenarios.FRAMES_PER_PACKET;
    static final int LOOP_PACKET = 512;

    private RealStackGuest() {}

    /** One stream of {@code packets} packets on one path, by one kind of client. */
    interface BenchStream extends AutoCloseable {
        /** Runs the stream; returns packets that completed with a problem. */
        Outcome stream(int packets) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** A run's packet accounting. */
    record Outcome(int completed, int failed, String firstProblem) {}

    /** Opens a stream of one kind on one path. */
    @FunctionalInterface
    interface Opener {
        BenchStream open() throws Exception;
    }

    /** The guest kernel's clock source: {@code System.nanoTime()} is a vDSO read only with {@code tsc}. */
    private static String clocksource() {
        try {
            return Files.readString(Path.of("/sys/devices/system/clocksource/clocksource0/current_clocksource"))
                    .strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** What one {@code System.nanoTime()} costs here, in ns (median of 5 batches of 20,000). */
    private static long nanoTimeCost() {
        long[] batches = new long[5];
        long sink = 0;
        for (int b = 0; b < batches.length; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20_000; i++) {
                sink += System.nanoTime();
            }
            batches[b] = (System.nanoTime() - t0) / 20_000;
        }
        java.util.Arrays.sort(batches);
        return sink == 42 ? -1 : batches[2];
    }

    /**
     * Entry point.
     *
     * @param args rounds, packets per run, and optionally {@code jfr}
     */
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        int packets = Integer.parseInt(args[1]) / PER_TRANSFER * PER_TRANSFER;
        boolean jfr = args.length > 2 && args[2].equals("jfr");
        boolean perf = args.length > 2 && args[2].equals("perf");
        boolean inline = args.length > 3 && args[3].equals("inline");
        Path share = Path.of(System.getProperty(GuestMain.RESULTS_PROPERTY)).getParent();
        boolean ok = GuestMain.run(SCENARIO, r -> {
            int xhci = busOf("xHCI");
            int uhci = busOf("UHCI");
            r.info("machine cpus=" + Runtime.getRuntime().availableProcessors() + " loadavg="
                    + ProcessMeter.loadAverage() + " xhciBus=" + xhci + " uhciBus=" + uhci + " clocksource="
                    + clocksource() + " nanoTimeNs=" + nanoTimeCost());
            int port = GuestUsbIp.attach("1-1");
            Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
            List<String> kinds = inline ? List.of("raw", "ce", "ce-inline") : List.of("raw", "ce");
            List<Object[]> paths = List.of(
                    new Object[] {
                        "xhci-out",
                        (Opener) () -> new RawAudioOut(xhci),
                        (Opener) () -> new CeAudioOut(xhci, false),
                        (Opener) () -> new CeAudioOut(xhci, true)
                    },
                    new Object[] {
                        "uhci-out",
                        (Opener) () -> new RawAudioOut(uhci),
                        (Opener) () -> new CeAudioOut(uhci, false),
                        (Opener) () -> new CeAudioOut(uhci, true)
                    },
                    new Object[] {
                        "usbip-in",
                        (Opener) RawLoopIn::new,
                        (Opener) () -> new CeLoopIn(false),
                        (Opener) () -> new CeLoopIn(true)
                    });
            // The meter's own code compiled first: its compilations would otherwise run inside a later window
            // (on the compiler thread, which the window counts) and fall on whichever kind is measured then.
            for (int i = 0; i < METER_WARM_UP; i++) {
                var unused = ProcessMeter.between(ProcessMeter.start(), ProcessMeter.end());
            }
            // rounds up to 0 are the warm-up (class loading, JIT; several when C2 is to settle): run, checked,
            // not counted; the order of the kinds rotates from round to round
            int warmUps = Integer.getInteger(WARM_UPS_PROPERTY, 1);
            for (int round = 1 - warmUps; round <= rounds; round++) {
                for (Object[] p : paths) {
                    for (int i = 0; i < kinds.size(); i++) {
                        int k = Math.floorMod(i - round, kinds.size());
                        measure(
                                r,
                                share,
                                jfr && round > 0,
                                perf && round > 0,
                                (String) p[0],
                                kinds.get(k),
                                round,
                                packets,
                                (Opener) p[1 + k]);
                    }
                }
            }
            GuestUsbIp.detach(port);
            r.info("end loadavg=" + ProcessMeter.loadAverage());
        });
        GuestMain.exit(ok);
    }

    /**
     * {@code perf record} of this process for exactly the measured window (started disabled, enabled and
     * disabled through its control FIFO, each acknowledged), then {@code perf report} by thread, library
     * and symbol, run in the guest while usb4java's unpacked native library is still there.
     */
    static final class Perf {
        private static final Path CTL = Path.of("/tmp/usbd4j-perf.ctl");
        private static final Path ACK = Path.of("/tmp/usbd4j-perf.ack");

        static Process record(Path data, Path log) throws Exception {
            for (Path fifo : List.of(CTL, ACK)) {
                Files.deleteIfExists(fifo);
                check(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo " + fifo);
            }
            Process p = new ProcessBuilder(
                            "perf",
                            "record",
                            "-q",
                            "-D",
                            "-1",
                            "--control",
                            "fifo:" + CTL + "," + ACK,
                            "-e",
                            "cpu-clock",
                            "-F",
                            Integer.toString(Integer.getInteger("usbd4j.perf.frequency", 2000)),
                            "-p",
                            Long.toString(ProcessHandle.current().pid()),
                            "-o",
                            data.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            command("enable");
            return p;
        }

        static void stop(Process p, Path data, Path report) throws Exception {
            command("disable");
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            p.waitFor();
            // /tmp/perf-<pid>.map names the JIT-compiled Java methods for perf report
            java.lang.management.ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "compilerPerfmap",
                            new Object[] {new String[0]},
                            new String[] {String[].class.getName()});
            new ProcessBuilder(
                            "perf",
                            "report",
                            "-i",
                            data.toString(),
                            "--stdio",
                            "--no-children",
                            "--sort",
                            "comm,dso,sym",
                            "--percent-limit",
                            "0.02")
                    .redirectErrorStream(true)
                    .redirectOutput(report.toFile())
                    .start()
                    .waitFor();
        }

        /** Sends a control command and waits for perf's acknowledgement. */
        private static void command(String c) throws IOException {
            Files.writeString(CTL, c + "\n");
            try (var in = Files.newBufferedReader(ACK)) {
                String a = in.readLine();
                check("ack".equals(a), "perf acknowledged " + c + " (" + a + ")");
            }
        }
    }

    private static void measure(
            GuestMain.Report r,
            Path share,
            boolean jfr,
            boolean perf,
            String path,
            String kind,
            int round,
            int packets,
            Opener o)
            throws Exception {
        try (BenchStream s = o.open()) {
            System.gc(); // the previous run's garbage is not this run's cost
            jdk.jfr.Recording rec = null;
            if (jfr) {
                rec = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                rec.setDestination(share.resolve(path + "-" + kind + "-" + round + ".jfr"));
                rec.start();
            }
            Process perfRecord = null;
            Path perfData = share.resolve(path + "-" + kind + "-" + round + ".perf.data");
            if (perf) {
                perfRecord = Perf.record(perfData, share.resolve(path + "-" + kind + "-" + round + ".perf.log"));
            }
            ProcessMeter.Snapshot a = ProcessMeter.start();
            Outcome out = s.stream(packets);
            ProcessMeter.Snapshot b = ProcessMeter.end();
            if (perfRecord != null) {
                Perf.stop(perfRecord, perfData, share.resolve(path + "-" + kind + "-" + round + ".perf.txt"));
            }
            if (rec != null) {
                rec.stop();
                rec.close();
            }
            ProcessMeter.Delta d = ProcessMeter.between(a, b);
            r.info(String.format(
                    "path=%s kind=%s round=%d packets=%d completed=%d failed=%d lost=%d cpuNs=%d processCpuNs=%d"
                            + " wallNs=%d wakeups=%d preempted=%d allocBytes=%d loadavg=%s threads=%s%s",
                    path,
                    kind,
                    round,
                    packets,
                    out.completed(),
                    out.failed(),
                    packets - out.completed(),
                    d.cpuNanos(),
                    d.processCpuNanos(),
                    d.wallNanos(),
                    d.voluntary(),
                    d.involuntary(),
                    d.allocatedBytes(),
                    ProcessMeter.loadAverage().replace(' ', '_'),
                    d.threadSummary(),
                    out.firstProblem() == null
                            ? ""
                            : " problem=" + out.firstProblem().replace(' ', '_')));
        }
    }

    /** The bus number of the root hub whose product string contains {@code kind} ("xHCI", "UHCI"). */
    static int busOf(String kind) throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/sys/bus/usb/devices"))) {
            for (Path d : s.toList()) {
                Path product = d.resolve("product");
                String name = d.getFileName().toString();
                if (name.startsWith("usb")
                        && Files.exists(product)
                        && Files.readString(product).contains(kind)) {
                    // a USB 3 root hub of the xHCI has its own bus; the audio device is on the USB 2 one
                    if (Files.readString(d.resolve("speed")).trim().equals("480")
                            || Files.readString(d.resolve("speed")).trim().equals("12")) {
                        return Integer.parseInt(name.substring(3));
                    }
                }
            }
        }
        throw new AssertionError("no " + kind + " root hub");
    }

    /**
     * Runs libusb_init (directly or through the backend's builder) on a thread named {@code libusb-init}:
     * libusb's own udev monitor thread inherits that name, so its CPU shows apart from the main thread's.
     */
    static <T> T onInitThread(java.util.concurrent.Callable<T> init) throws Exception {
        java.util.concurrent.FutureTask<T> f = new java.util.concurrent.FutureTask<>(init);
        Thread t = new Thread(f, "libusb-init");
        t.start();
        return f.get(30, TimeUnit.SECONDS);
    }

    // ---- the hand-written usb4java loop -------------------------------------------------------------

    /** A usb4java context, a device handle and one event thread, as a careful user sets them up. */
    abstract static class RawStream implements BenchStream {
        final Context ctx = new Context();
        final DeviceHandle handle = new DeviceHandle();
        final Thread events;
        volatile boolean running = true;
        final List<RawSlot> slots = new ArrayList<>();
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        volatile String firstProblem;
        CountDownLatch finished;
        int packets;

        RawStream(int bus, int vid, int pid) throws Exception {
            rc(onInitThread(() -> LibUsb.init(ctx)), "init");
            DeviceList list = new DeviceList();
            int n = LibUsb.getDeviceList(ctx, list);
            Device chosen = null;
            for (int i = 0; i < n; i++) {
                Device d = list.get(i);
                DeviceDescriptor dd = new DeviceDescriptor();
                rc(LibUsb.getDeviceDescriptor(d, dd), "descriptor");
                if ((dd.idVendor() & 0xffff) == vid
                        && (dd.idProduct() & 0xffff) == pid
                        && (bus < 0 || LibUsb.getBusNumber(d) == bus)) {
                    chosen = d;
                }
            }
            check(chosen != null, String.format("%04x:%04x on bus %d", vid, pid, bus));
            rc(LibUsb.open(chosen, handle), "open");
            LibUsb.freeDeviceList(list, true);
            LibUsb.setAutoDetachKernelDriver(handle, true);
            events = new Thread(
                    () -> {
                        while (running) {
                            LibUsb.handleEventsTimeoutCompleted(ctx, 100_000, null);
                        }
                    },
                    "raw-events");
            events.start();
        }

        /** Allocates and fills the transfers once. */
        void transfers(int endpoint, int packetLength) {
            for (int i = 0; i < IN_FLIGHT; i++) {
                slots.add(new RawSlot(endpoint, packetLength));
            }
        }

        @Override
        public Outcome stream(int packets) throws Exception {
            this.packets = packets;
            finished = new CountDownLatch(IN_FLIGHT);
            for (RawSlot s : slots) {
                s.issue();
            }
            check(finished.await(60, TimeUnit.SECONDS), "raw stream finished within 60 s");
            return new Outcome(completed.get(), failed.get(), firstProblem);
        }

        /** One transfer with its buffer and cached packet descriptors; it is its own callback. */
        final class RawSlot implements TransferCallback {
            final Transfer transfer = LibUsb.allocTransfer(PER_TRANSFER);
            final ByteBuffer buf;
            final IsoPacketDescriptor[] d;

            RawSlot(int endpoint, int packetLength) {
                buf = ByteBuffer.allocateDirect(PER_TRANSFER * packetLength);
                LibUsb.fillIsoTransfer(transfer, handle, (byte) endpoint, buf, PER_TRANSFER, this, null, 0);
                LibUsb.setIsoPacketLengths(transfer, packetLength);
                d = transfer.isoPacketDesc();
            }

            void issue() {
                int first = next.getAndAdd(PER_TRANSFER);
                if (first >= packets) {
                    finished.countDown();
                    return;
                }
                fill(buf, first);
                int rc = LibUsb.submitTransfer(transfer);
                if (rc != LibUsb.SUCCESS) {
                    problem("submit: " + LibUsb.errorName(rc));
                    finished.countDown();
                }
            }

            @Override
            public void processTransfer(Transfer t) {
                int status = t.status();
                int bad = 0;
                for (int k = 0; k < PER_TRANSFER; k++) {
                    int actual = d[k].actualLength();
                    if (status != LibUsb.TRANSFER_COMPLETED
                            || d[k].status() != LibUsb.TRANSFER_COMPLETED
                            || !good(buf, k, actual)) {
                        bad++;
                        problem("packet " + k + ": transfer " + status + ", packet " + d[k].status() + ", " + actual
                                + " bytes");
                    }
                }
                failed.addAndGet(bad);
                completed.addAndGet(PER_TRANSFER);
                issue();
            }
        }

        void problem(String what) {
            if (firstProblem == null) {
                firstProblem = what;
            }
        }

        /** OUT: writes the data of packets {@code first..first+7}. */
        abstract void fill(ByteBuffer buf, int first);

        /** Whether packet {@code k} of a completed transfer is good. */
        abstract boolean good(ByteBuffer buf, int k, int actual);

        void stop() throws InterruptedException {
            running = false;
            LibUsb.interruptEventHandler(ctx);
            events.join(5000);
            for (RawSlot slot : slots) {
                LibUsb.freeTransfer(slot.transfer);
            }
            LibUsb.close(handle);
            LibUsb.exit(ctx);
        }

        static void rc(int rc, String what) {
            if (rc < 0) {
                throw new AssertionError("libusb " + what + ": " + LibUsb.errorName(rc));
            }
        }
    }

    /** Raw iso OUT to usb-audio on one bus. */
    static final class RawAudioOut extends RawStream {
        RawAudioOut(int bus) throws Exception {
            super(bus, UsbAudioScenarios.VID, UsbAudioScenarios.PID);
            rc(LibUsb.claimInterface(handle, 0), "claim 0");
            rc(LibUsb.claimInterface(handle, 1), "claim 1");
            for (int ch = 1; ch <= 2; ch++) { // volume 0x0800: unity gain, bit-exact capture
                ByteBuffer v = ByteBuffer.allocateDirect(2).put(0, (byte) 0).put(1, (byte) 8);
                rc(
                        LibUsb.controlTransfer(
                                handle, (byte) 0x21, (byte) 0x01, (short) (0x0200 | ch), (short) 0x0200, v, 0),
                        "SET_CUR volume");
            }
            rc(LibUsb.setInterfaceAltSetting(handle, 1, 1), "alt 1");
            transfers(0x01, AUDIO_PACKET);
        }

        @Override
        void fill(ByteBuffer buf, int first) {
            WavPattern.CE.fill(buf, (long) first * AUDIO_FRAMES, PER_TRANSFER * AUDIO_FRAMES);
        }

        @Override
        boolean good(ByteBuffer buf, int k, int actual) {
            return actual == AUDIO_PACKET;
        }

        @Override
        public void close() throws Exception {
            Thread.sleep(500); // QEMU plays out its buffer; leaving alt 1 resets the device's stream
            LibUsb.setInterfaceAltSetting(handle, 1, 0);
            LibUsb.releaseInterface(handle, 1);
            LibUsb.releaseInterface(handle, 0);
            stop();
        }
    }

    /** Raw iso IN from the USB/IP loopback device. */
    static final class RawLoopIn extends RawStream {
        RawLoopIn() throws Exception {
            super(-1, LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID);
            rc(LibUsb.claimInterface(handle, 0), "claim 0");
            rc(LibUsb.setInterfaceAltSetting(handle, 0, 1), "alt 1");
            transfers(0x81, LOOP_PACKET);
        }

        @Override
        void fill(ByteBuffer buf, int first) {}

        @Override
        boolean good(ByteBuffer buf, int k, int actual) {
            return goodLoopPacket(buf, k * LOOP_PACKET, actual);
        }

        @Override
        public void close() throws Exception {
            LibUsb.setInterfaceAltSetting(handle, 0, 0);
            LibUsb.releaseInterface(handle, 0);
            stop();
        }
    }

    /**
     * A pattern packet of the loopback device with nothing queued: 512 bytes, byte i = frame*8 + i; its
     * first and last bytes are checked (the whole packet costs the same on both sides and would only
     * dilute the comparison; the project's real-kernel ITs check every byte).
     */
    static boolean goodLoopPacket(ByteBuffer buf, int at, int actual) {
        if (actual != LOOP_PACKET) {
            return false;
        }
        byte b0 = buf.get(at);
        return (b0 & 7) == 0 && buf.get(at + LOOP_PACKET - 1) == (byte) (b0 + LOOP_PACKET - 1);
    }

    // ---- the CE client driver on this library -------------------------------------------------------

    /** A runtime on the usb4java backend (library defaults) and a CE driver bound to one device. */
    abstract static class CeStream implements BenchStream, UsbClientDriver {
        final Usbd usbd;
        final CountDownLatch attached = new CountDownLatch(1);
        volatile UsbHandle device;
        volatile UsbFuncs funcs;
        UsbPipe pipe;
        final List<Slot> slots = new ArrayList<>();
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        volatile String firstProblem;
        CountDownLatch finished;
        int packets;

        CeStream(int bus, int vid, int pid, boolean inline) throws Exception {
            HostController backend = onInitThread(
                    () -> LibusbHostController.builder().device(vid, pid).build());
            Usbd.Builder b = Usbd.builder().backend(bus < 0 ? backend : new OnBus(backend, bus));
            if (inline) {
                b.callbackExecutor(Runnable::run);
            }
            usbd = b.build();
            usbd.registerDriver("RealStackBench", UsbDriverSettings.forVendor(vid, pid), this);
            check(attached.await(20, TimeUnit.SECONDS), "usbDeviceAttach");
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
            device = hDevice;
            funcs = usbFuncs;
            acceptControl[0] = true;
            attached.countDown();
            return true;
        }

        void alt(int iface, int alternate) {
            UsbAudioScenarios.checkTransfer(
                    funcs, funcs.setInterface(device, null, null, 0, iface, alternate), "SetInterface");
        }

        /** Opens the stream's pipe and makes its slots: before the measured window, as the raw loop does. */
        void openPipe(int iface, int endpoint) {
            UsbInterface i = funcs.findInterface(funcs.getDeviceInfo(device), iface, 1);
            pipe = funcs.openPipe(device, i.findEndpoint(endpoint).descriptor());
            check(pipe != null, "OpenPipe: " + Win32.getLastError());
            for (int k = 0; k < IN_FLIGHT; k++) {
                slots.add(new Slot());
            }
        }

        @Override
        public Outcome stream(int packets) throws Exception {
            this.packets = packets;
            finished = new CountDownLatch(IN_FLIGHT);
            for (Slot s : slots) {
                s.issue();
            }
            check(finished.await(60, TimeUnit.SECONDS), "CE stream finished within 60 s");
            return new Outcome(completed.get(), failed.get(), firstProblem);
        }

        /** One transfer slot: its buffer and arrays, reissued from its callback. */
        final class Slot {
            final ByteBuffer buf = ByteBuffer.allocateDirect(PER_TRANSFER * packetLength());
            final int[] lengths = new int[PER_TRANSFER];
            final int[] actual = new int[PER_TRANSFER];
            final int[] errors = new int[PER_TRANSFER];
            final TransferNotifyRoutine callback = p -> done();
            UsbTransfer t;

            Slot() {
                Arrays.fill(lengths, packetLength());
            }

            void issue() {
                int first = next.getAndAdd(PER_TRANSFER);
                if (first >= packets) {
                    finished.countDown();
                    return;
                }
                fill(buf, first);
                t = funcs.issueIsochTransfer(pipe, callback, null, flags(), 0, PER_TRANSFER, lengths, buf, 0);
                if (t == null) {
                    problem("IssueIsochTransfer: " + Win32.getLastError());
                    finished.countDown();
                }
            }

            int done() {
                if (!funcs.getIsochResults(t, PER_TRANSFER, actual, errors)) {
                    problem("GetIsochResults false");
                }
                int bad = 0;
                for (int k = 0; k < PER_TRANSFER; k++) {
                    if (errors[k] != USB_NO_ERROR || !good(buf, k, actual[k])) {
                        bad++;
                        problem("packet " + k + ": " + actual[k] + " bytes, " + errorName(errors[k]));
                    }
                }
                failed.addAndGet(bad);
                completed.addAndGet(PER_TRANSFER);
                funcs.closeTransfer(t);
                issue();
                return 0;
            }
        }

        void problem(String what) {
            if (firstProblem == null) {
                firstProblem = what;
            }
        }

        abstract int packetLength();

        abstract int flags();

        abstract void fill(ByteBuffer buf, int first);

        abstract boolean good(ByteBuffer buf, int k, int actual);
    }

    /** CE iso OUT to usb-audio on one bus. */
    static final class CeAudioOut extends CeStream {
        CeAudioOut(int bus, boolean inline) throws Exception {
            super(bus, UsbAudioScenarios.VID, UsbAudioScenarios.PID, inline);
            for (int ch = 1; ch <= 2; ch++) {
                UsbTransfer t = funcs.issueVendorTransfer(
                        device,
                        null,
                        null,
                        USB_OUT_TRANSFER | USB_SEND_TO_INTERFACE,
                        new UsbDeviceRequest(0x21, 0x01, 0x0200 | ch, 0x0200, 2),
                        ByteBuffer.wrap(new byte[] {0x00, 0x08}),
                        0);
                UsbAudioScenarios.checkTransfer(funcs, t, "SET_CUR volume");
            }
            alt(1, 1);
            openPipe(1, 0x01);
        }

        @Override
        int packetLength() {
            return AUDIO_PACKET;
        }

        @Override
        int flags() {
            return USB_OUT_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT;
        }

        @Override
        void fill(ByteBuffer buf, int first) {
            WavPattern.CE.fill(buf, (long) first * AUDIO_FRAMES, PER_TRANSFER * AUDIO_FRAMES);
        }

        @Override
        boolean good(ByteBuffer buf, int k, int actual) {
            return actual == AUDIO_PACKET;
        }

        @Override
        public void close() throws Exception {
            Thread.sleep(500);
            alt(1, 0);
            funcs.closePipe(pipe);
            usbd.close();
        }
    }

    /** CE iso IN from the USB/IP loopback device. */
    static final class CeLoopIn extends CeStream {
        CeLoopIn(boolean inline) throws Exception {
            super(-1, LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, inline);
            alt(0, 1);
            openPipe(0, 0x81);
        }

        @Override
        int packetLength() {
            return LOOP_PACKET;
        }

        @Override
        int flags() {
            return USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK;
        }

        @Override
        void fill(ByteBuffer buf, int first) {}

        @Override
        boolean good(ByteBuffer buf, int k, int actual) {
            return goodLoopPacket(buf, k * LOOP_PACKET, actual);
        }

        @Override
        public void close() throws Exception {
            alt(0, 0);
            funcs.closePipe(pipe);
            usbd.close();
        }
    }

    /**
     * The backend limited to the devices on one bus: both usb-audio devices are 46f4:0002, and the CE
     * driver must bind the one on the path under test. Only arrivals pass through here; transfers go
     * straight to the backend's device.
     */
    static final class OnBus extends ForwardingHostController {
        private final String prefix;

        OnBus(HostController backend, int bus) {
            super(backend);
            this.prefix = "libusb:" + bus + "-";
        }

        @Override
        public void start(HostListener listener) {
            delegate().start(new HostListener() {
                @Override
                public void deviceAttached(BackendDevice device) {
                    if (device.location().startsWith(prefix)) {
                        listener.deviceAttached(device);
                    }
                }

                @Override
                public void deviceDetached(BackendDevice device) {
                    if (device.location().startsWith(prefix)) {
                        listener.deviceDetached(device);
                    }
                }
            });
        }
    }
}
