package io.github.usbd4j.samples.tool;

import static io.github.usbd4j.ce.devmgr.WinBase.FILE_BEGIN;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_CURRENT;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_END;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.devmgr.DeviceInformation;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.lbk.LbkIoctl;
import io.github.usbd4j.samples.lbk.LbkUsbDriver;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code usbd devfile}: exercises a stream device by name, as a CE application would. It loads the LBK
 * sample driver for the loopback device (simulated, or a real one with {@code --backend libusb}), then
 * calls {@code CreateFile} on the name, the operations in the order given, and {@code CloseHandle}, and
 * prints each call with its result or its Win32 error. Exit code 6 if a call failed.
 */
@Command(
        name = "devfile",
        mixinStandardHelpOptions = true,
        description = {
            "Opens a stream device by name (CreateFile), runs the operations in order on the handle, then closes"
                    + " it. The device is the loopback 1209:0001 driven by the LBK sample driver, named LBK1:, LBK2:, ..."
                    + " Exit code 6 if a call failed.",
            "Operations: write:TEXT, writehex:HEX, read:N, ioctl:CODE[,in=HEX][,out=N] (CODE in hex or decimal,"
                    + " or stats, reset, transact), seek:N[,from=begin|current|end], unplug (sim: pull the device"
                    + " the handle is on, with the handle open; a further unplug pulls the others in the order"
                    + " plugged)."
        })
final class DevFileCommand implements Callable<Integer> {
    /** Exit code when a CE call failed. */
    static final int CALL_FAILED = ExitCode.CALL_FAILED.code();

    @Spec
    CommandSpec spec;

    @CommandLine.ParentCommand
    UsbdTool root;

    @Parameters(index = "0", paramLabel = "NAME", description = "Device name: LBK1: or \\$device\\LBK1.")
    String name;

    @Parameters(index = "1..*", paramLabel = "OPERATION", description = "What to do with the handle, in order.")
    List<String> operations = new ArrayList<>();

    @Option(
            names = "--access",
            defaultValue = "rw",
            description = "CreateFile access: r, w, rw or none (default: ${DEFAULT-VALUE}).")
    String access;

    @Option(
            names = "--share",
            defaultValue = "rw",
            description = "CreateFile share mode: r, w, rw or none (default: ${DEFAULT-VALUE}).")
    String share;

    @Option(
            names = "--devices",
            defaultValue = "1",
            description = "sim: loopback devices to plug, named LBK1: ... (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(
            names = "--device",
            description = "With --backend libusb: the loopback device's VID:PID in hex (default 1209:0001).")
    String device;

    /** One parsed operation. */
    @SuppressWarnings("ArrayRecordComponent") // private; never compared or exposed
    private record Op(String kind, byte[] data, int count, int code, int outSize, int moveMethod, String text) {}

    @Option(
            names = "--wait",
            paramLabel = "SECONDS",
            defaultValue = StreamRun.DEFAULT_WAIT_SECONDS,
            description = "libusb: how long to wait for the device to be plugged in and loaded"
                    + " (default: ${DEFAULT-VALUE}).")
    double waitSeconds;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        int accessCode = modes(cl, "--access", access, GENERIC_READ, GENERIC_WRITE);
        int shareMode = modes(cl, "--share", share, FILE_SHARE_READ, FILE_SHARE_WRITE);
        boolean real = root.backend == UsbdTool.Backend.libusb;
        List<Op> ops = new ArrayList<>();
        for (String o : operations) {
            ops.add(parse(cl, o, real));
        }
        if (devices < 1 || devices > 9) {
            throw new ParameterException(cl, "--devices must be 1..9, was " + devices);
        }
        if (!real && device != null) {
            throw new ParameterException(cl, "--device applies to --backend libusb only");
        }
        if (real && devices != 1) {
            throw new ParameterException(cl, "--devices applies to the sim backend only");
        }
        StreamRun.checkWait(cl, waitSeconds);
        if (ops.stream().filter(o -> o.kind.equals("unplug")).count() > devices) {
            throw new ParameterException(cl, "more unplug operations than --devices " + devices);
        }
        PrintWriter out = cl.getOut();
        String chosen = device == null ? DeviceView.id(LbkUsbDriver.VENDOR_ID, LbkUsbDriver.PRODUCT_ID) : device;
        int[] id = Target.vidPid(cl, chosen);
        String at = chosen.contains("@") ? chosen.substring(chosen.indexOf('@') + 1) : null;
        CompletableFuture<Boolean> loaded = new CompletableFuture<>();
        try (ToolBus bus =
                real ? new LibusbBus(id[0], id[1], at, DevFileCommand::problemWith) : new SimBus(UsbSpeed.FULL, 0)) {
            DeviceManager dm = bus.usbd().deviceManager();
            bus.register(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), new LbkUsbDriver(dm) {
                @Override
                public boolean usbDeviceAttach(
                        UsbHandle hDevice,
                        UsbFuncs usbFuncs,
                        UsbInterface usbInterface,
                        String uniqueDriverId,
                        boolean[] acceptControl,
                        UsbDriverSettings driverSettings,
                        int unused) {
                    boolean r = super.usbDeviceAttach(
                            hDevice, usbFuncs, usbInterface, uniqueDriverId, acceptControl, driverSettings, unused);
                    if (acceptControl[0]) {
                        loaded.complete(true); // the event a real bus is waited on for
                    }
                    return r;
                }
            });
            List<SimulatedDevice> plugged = new ArrayList<>();
            if (bus instanceof SimBus sim) {
                List<SimulatedDevice> named = new ArrayList<>(); // the ones the name opens, then the others
                for (int i = 0; i < devices; i++) {
                    int before = dm.activeDevices().size();
                    SimulatedDevice d = sim.attach(LoopbackDevice.fullSpeed());
                    List<DeviceInformation> loadedNow = dm.activeDevices(); // in activation order: d's is last
                    boolean isNamed = loadedNow.size() > before && opens(loadedNow.get(loadedNow.size() - 1), name);
                    (isNamed ? named : plugged).add(d);
                }
                plugged.addAll(0, named); // "unplug" pulls the device the handle is on first
                out.printf(
                        Locale.ROOT,
                        "usbd devfile: simulated full-speed bus (virtual clock), %d loopback device(s) 1209:0001,"
                                + " LBK driver%n",
                        devices);
            } else {
                if (!awaitLoaded((LibusbBus) bus, loaded, chosen, out)) {
                    out.println("interrupted while waiting for the device; nothing was opened");
                    return ExitCode.INTERRUPTED.code();
                }
                out.println("usbd devfile: " + chosen + " through usb4java, LBK driver");
            }
            for (DeviceInformation d : dm.activeDevices()) {
                out.printf(Locale.ROOT, "loaded %s (%s, %s)%n", d.legacyName(), d.deviceKey(), d.activeKey());
            }
            return run(out, dm, accessCode, shareMode, ops, bus, plugged);
        } finally {
            out.flush();
        }
    }

    /** {@code true} if {@code CreateFile(name)} reaches this device: its legacy or its {@code $device} name. */
    private static boolean opens(DeviceInformation d, String name) {
        return (!d.legacyName().isEmpty() && d.legacyName().equalsIgnoreCase(name))
                || (!d.deviceName().isEmpty() && ("\\" + d.deviceName()).equalsIgnoreCase(name));
    }

    /**
     * Waits on the backend's events until the LBK driver has loaded the device, or {@code --wait} passed.
     *
     * @return {@code false} if Ctrl-C or SIGTERM stopped the wait (then the exit waits for the line saying so)
     */
    private boolean awaitLoaded(LibusbBus bus, CompletableFuture<Boolean> loaded, String chosen, PrintWriter out) {
        long waitFrames = Math.round(waitSeconds * 1000);
        out.printf(Locale.ROOT, "waiting up to %s for %s and the LBK driver%n", UsbdTool.seconds(waitFrames), chosen);
        out.flush();
        try (Interruption.Run interruption = Interruption.begin()) {
            bus.awaitTaken(loaded, interruption.stopRequested(), waitFrames, chosen);
            return !interruption.isStopRequested();
        }
    }

    /** What the LBK driver needs: interface 1 with a bulk IN and a bulk OUT endpoint. */
    private static String problemWith(UsbDevice device, UsbSpeed speed) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            if (i.descriptor().bInterfaceNumber() != LbkUsbDriver.INTERFACE) {
                continue;
            }
            boolean in = false;
            boolean outEp = false;
            for (UsbEndpoint e : i.endpoints()) {
                boolean bulk = e.descriptor().transferType() == Usb100.USB_ENDPOINT_TYPE_BULK;
                in |= bulk && e.descriptor().isIn();
                outEp |= bulk && !e.descriptor().isIn();
            }
            if (in && outEp) {
                return null;
            }
        }
        return "it has no interface " + LbkUsbDriver.INTERFACE + " with a bulk IN and a bulk OUT endpoint, which"
                + " the LBK driver needs";
    }

    private int run(
            PrintWriter out,
            DeviceManager dm,
            int accessCode,
            int shareMode,
            List<Op> ops,
            ToolBus bus,
            List<SimulatedDevice> plugged) {
        FileHandle h = dm.createFile(name, accessCode, shareMode, null, OPEN_EXISTING, 0, null);
        String open = String.format(
                Locale.ROOT,
                "CreateFile(\"%s\", %s, %s, OPEN_EXISTING)",
                name,
                flags(accessCode, GENERIC_READ, "GENERIC_READ", GENERIC_WRITE, "GENERIC_WRITE"),
                flags(shareMode, FILE_SHARE_READ, "FILE_SHARE_READ", FILE_SHARE_WRITE, "FILE_SHARE_WRITE"));
        if (h == INVALID_HANDLE_VALUE) {
            out.println(open + " = INVALID_HANDLE_VALUE, " + error());
            return CALL_FAILED;
        }
        out.println(open + " = handle");
        boolean failed = false;
        for (Op op : ops) {
            failed |= !run(out, dm, h, op, bus, plugged);
        }
        boolean closed = dm.closeHandle(h);
        out.println("CloseHandle = " + (closed ? "TRUE" : "FALSE, " + error()));
        return failed || !closed ? CALL_FAILED : 0;
    }

    /** One operation; {@code false} if its call failed. */
    private static boolean run(
            PrintWriter out, DeviceManager dm, FileHandle h, Op op, ToolBus bus, List<SimulatedDevice> plugged) {
        int[] n = new int[1];
        switch (op.kind) {
            case "write" -> {
                boolean ok = dm.writeFile(h, ByteBuffer.wrap(op.data), op.data.length, n, null);
                out.println("WriteFile(" + op.data.length + ") = "
                        + (ok ? "TRUE, " + n[0] + " written" : "FALSE, " + error()));
                return ok;
            }
            case "read" -> {
                ByteBuffer b = ByteBuffer.allocate(op.count);
                boolean ok = dm.readFile(h, b, op.count, n, null);
                out.println("ReadFile(" + op.count + ") = "
                        + (ok ? "TRUE, " + n[0] + " read" + bytes(b, n[0]) : "FALSE, " + error()));
                return ok;
            }
            case "ioctl" -> {
                ByteBuffer in = op.data.length == 0 ? null : ByteBuffer.wrap(op.data);
                ByteBuffer o = op.outSize == 0 ? null : ByteBuffer.allocate(op.outSize);
                boolean ok = dm.deviceIoControl(h, op.code, in, op.data.length, o, op.outSize, n, null);
                String what = String.format(
                        Locale.ROOT, "DeviceIoControl(%s, in %d, out %d)", op.text, op.data.length, op.outSize);
                if (!ok) {
                    out.println(what + " = FALSE, " + error());
                } else if (op.code == LbkIoctl.IOCTL_LBK_GET_STATS && n[0] >= LbkIoctl.STATS_SIZE) {
                    out.println(what + " = TRUE, " + n[0] + " returned: " + LbkIoctl.Stats.read(o, 0));
                } else {
                    out.println(what + " = TRUE, " + n[0] + " returned" + (o == null ? "" : bytes(o, n[0])));
                }
                return ok;
            }
            case "seek" -> {
                int position = dm.setFilePointer(h, op.count, null, op.moveMethod);
                boolean ok = position != INVALID_SET_FILE_POINTER;
                out.println("SetFilePointer(" + op.count + ", " + op.text + ") = "
                        + (ok ? Integer.toUnsignedString(position) : "INVALID_SET_FILE_POINTER, " + error()));
                return ok;
            }
            default -> { // unplug
                SimulatedDevice d = plugged.remove(0);
                ((SimBus) bus).detach(d);
                out.println("unplugged " + d.location() + " (the handle stays open)");
                return true;
            }
        }
    }

    private static Op parse(CommandLine cl, String text, boolean real) {
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        String arg = colon < 0 ? "" : text.substring(colon + 1);
        try {
            switch (kind) {
                case "write":
                    return new Op("write", arg.getBytes(StandardCharsets.UTF_8), 0, 0, 0, 0, null);
                case "writehex":
                    return new Op("write", HexFormat.of().parseHex(arg), 0, 0, 0, 0, null);
                case "read":
                    int count = number(arg, 10, false);
                    if (count < 0 || count > 65536) {
                        throw new IllegalArgumentException("the count must be 0..65536");
                    }
                    return new Op("read", null, count, 0, 0, 0, null);
                case "ioctl":
                    return ioctl(arg);
                case "seek":
                    return seek(arg);
                case "unplug":
                    if (real || !arg.isEmpty()) {
                        throw new IllegalArgumentException("unplug takes no argument and needs the sim backend");
                    }
                    return new Op("unplug", null, 0, 0, 0, 0, null);
                default:
                    throw new IllegalArgumentException("unknown operation");
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, "operation '" + text + "': " + e.getMessage());
        }
    }

    /**
     * A number of an operation, or an {@link IllegalArgumentException} that names it in the user's terms
     * (Java's messages differ by method: "For input string", "exceeds range of unsigned int", ...).
     */
    private static int number(String text, int radix, boolean unsigned) {
        try {
            return unsigned ? Integer.parseUnsignedInt(text, radix) : Integer.parseInt(text, radix);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number, or out of range: '" + text + "'", e);
        }
    }

    private static Op ioctl(String arg) {
        String[] parts = arg.split(",", -1); // a trailing comma leaves an empty part, which is refused
        int code;
        String text = parts[0];
        int outSize = 0;
        switch (parts[0]) {
            case "stats" -> {
                code = LbkIoctl.IOCTL_LBK_GET_STATS;
                text = "IOCTL_LBK_GET_STATS";
                outSize = LbkIoctl.STATS_SIZE;
            }
            case "reset" -> {
                code = LbkIoctl.IOCTL_LBK_RESET;
                text = "IOCTL_LBK_RESET";
            }
            case "transact" -> {
                code = LbkIoctl.IOCTL_LBK_TRANSACT;
                text = "IOCTL_LBK_TRANSACT";
            }
            default -> {
                code = parts[0].startsWith("0x") ? number(parts[0].substring(2), 16, true) : number(parts[0], 10, true);
                text = String.format(Locale.ROOT, "0x%08X", code);
            }
        }
        byte[] in = new byte[0];
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].startsWith("in=")) {
                in = HexFormat.of().parseHex(parts[i].substring(3));
            } else if (parts[i].startsWith("out=")) {
                outSize = number(parts[i].substring(4), 10, false);
                if (outSize < 0 || outSize > 65536) {
                    throw new IllegalArgumentException("out must be 0..65536");
                }
            } else {
                throw new IllegalArgumentException("expected in=HEX or out=N, was '" + parts[i] + "'");
            }
        }
        return new Op("ioctl", in, 0, code, outSize, 0, text);
    }

    private static Op seek(String arg) {
        String[] parts = arg.split(",", -1);
        int amount = number(parts[0], 10, false);
        int method = FILE_BEGIN;
        String text = "FILE_BEGIN";
        if (parts.length == 2 && parts[1].startsWith("from=")) {
            switch (parts[1].substring(5)) {
                case "begin" -> method = FILE_BEGIN;
                case "current" -> {
                    method = FILE_CURRENT;
                    text = "FILE_CURRENT";
                }
                case "end" -> {
                    method = FILE_END;
                    text = "FILE_END";
                }
                default -> throw new IllegalArgumentException("from must be begin, current or end");
            }
        } else if (parts.length != 1) {
            throw new IllegalArgumentException("expected seek:N[,from=begin|current|end]");
        }
        return new Op("seek", null, amount, 0, 0, method, text);
    }

    private static int modes(CommandLine cl, String option, String value, int read, int write) {
        return switch (value) {
            case "rw" -> read | write;
            case "r" -> read;
            case "w" -> write;
            case "none" -> 0;
            default -> throw new ParameterException(cl, option + " must be r, w, rw or none, was '" + value + "'");
        };
    }

    /** {@code GENERIC_READ|GENERIC_WRITE}, or {@code 0}. */
    private static String flags(int value, int read, String readName, int write, String writeName) {
        List<String> names = new ArrayList<>();
        if ((value & read) != 0) {
            names.add(readName);
        }
        if ((value & write) != 0) {
            names.add(writeName);
        }
        return names.isEmpty() ? "0" : String.join("|", names);
    }

    private static String error() {
        int e = Win32.getLastError();
        return Win32.errorName(e) + " (" + e + ")";
    }

    /** {@code : "text" 74 65 78 74}, the first 64 bytes. */
    private static String bytes(ByteBuffer b, int n) {
        if (n == 0) {
            return "";
        }
        int shown = Math.min(n, 64);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < shown; i++) {
            int c = b.get(i) & 0xFF;
            text.append(c >= 0x20 && c < 0x7F ? (char) c : '.');
        }
        byte[] raw = new byte[shown];
        b.get(0, raw);
        return ": \"" + text + "\" " + HexFormat.ofDelimiter(" ").formatHex(raw) + (n > shown ? " ..." : "");
    }
}
