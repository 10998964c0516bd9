package io.github.usbd4j.usbip;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.Uac1Speaker;
import io.github.usbd4j.sim.UvcCamera;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link UsbIpServer} with built-in simulated devices on a real-time bus.
 *
 * <pre>
 * UsbIpMain [--device loopback|loopback-hs|microphone|speaker|camera]... [--replay CAPTURE [--loop]]
 *           (--stdio | --port N) [--bind ADDRESS] [--allow CIDR[,CIDR]...] [--seconds N] [--idle-seconds N]
 * </pre>
 *
 * <p>Devices get bus ids 1-1, 1-2, … in order, the built-in ones first, then the captured devices that
 * {@code --replay} rebuilds from usbmon captures ({@link ReplayDevice}; {@code --loop} replays their IN
 * data in a loop); default: one loopback device. {@code --stdio} serves one
 * connection on stdin/stdout, for QEMU's {@code guestfwd=tcp:10.0.2.100:3240-cmd:java … --stdio}; in
 * that mode {@code System.out} is redirected to stderr so that nothing else reaches the protocol stream,
 * and the one peer (the process that started this one) is not idle-timed unless {@code --idle-seconds}
 * says so. {@code --port} listens on 127.0.0.1 (or {@code --bind}), 0 for an ephemeral port, and serves
 * the peers {@code --allow} lists (default: loopback only). {@code --idle-seconds} ends an import that
 * has no traffic for that long (TCP default {@value UsbIpServer#DEFAULT_IDLE_SECONDS}, 0 = never).
 * {@code --seconds} bounds the whole run (default 300, 0 = unbounded). The other limits are those of
 * {@link UsbIpServer.Builder}.
 */
public final class UsbIpMain {

    /** The built-in devices {@code --device} accepts. */
    public static final List<String> DEVICE_NAMES =
            List.of("loopback", "loopback-hs", "microphone", "speaker", "camera");

    private UsbIpMain() {}

    /**
     * The logger, obtained only when needed: with {@code --stdio}, logging must not initialise before
     * {@code System.out} is redirected, or its start-up status lines (Logback prints them to stdout when,
     * say, two configurations are on the class path) corrupt the protocol stream.
     */
    private static Logger log() {
        return LoggerFactory.getLogger(UsbIpMain.class);
    }

    /**
     * Entry point.
     *
     * @param args see the class comment
     */
    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("usbip: " + e.getMessage());
            System.err.println("usage: UsbIpMain [--device loopback|loopback-hs|microphone|speaker|camera]..."
                    + " [--replay CAPTURE [--loop]] (--stdio | --port N) [--bind ADDRESS] [--allow CIDR[,CIDR]...]"
                    + " [--seconds N] [--idle-seconds N]");
            rc = 2;
        } catch (IOException e) {
            System.err.println("usbip: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            rc = 1;
        }
        System.exit(rc);
    }

    static int run(String[] args) throws IOException {
        List<String> deviceNames = new ArrayList<>();
        boolean stdio = false;
        int port = -1;
        long seconds = 300;
        Long idleSeconds = null;
        InetAddress bind = null;
        List<String> allow = new ArrayList<>();
        List<Path> replays = new ArrayList<>();
        boolean loop = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--device" -> deviceNames.add(value(args, ++i, a));
                case "--replay" -> replays.add(Path.of(value(args, ++i, a)));
                case "--loop" -> loop = true;
                case "--stdio" -> stdio = true;
                case "--port" -> port = number(value(args, ++i, a), a);
                case "--seconds" -> seconds = number(value(args, ++i, a), a);
                case "--idle-seconds" -> idleSeconds = (long) number(value(args, ++i, a), a);
                case "--bind" -> bind = InetAddress.getByName(value(args, ++i, a));
                case "--allow" -> allow.add(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (stdio == (port >= 0)) {
            throw new IllegalArgumentException("give exactly one of --stdio and --port N");
        }
        if (stdio && (bind != null || !allow.isEmpty())) {
            throw new IllegalArgumentException("--stdio serves stdin/stdout: it takes no --bind or --allow");
        }
        if (deviceNames.isEmpty() && replays.isEmpty()) {
            deviceNames.add("loopback");
        }
        if (stdio) {
            System.setOut(System.err); // stdout is the protocol stream
        }
        for (String d : deviceNames) {
            if (!DEVICE_NAMES.contains(d)) {
                throw new IllegalArgumentException("unknown device " + d);
            }
        }
        String[] allowed = allow.toArray(String[]::new);
        if (allowed.length > 0) {
            AccessList.parse(allowed); // a bad list is refused before anything starts
        }
        List<DeviceModel> models = new ArrayList<>();
        for (String d : deviceNames) {
            models.add(model(d));
        }
        for (Path capture : replays) {
            models.add(ReplayDevice.builder(capture).loop(loop).build());
        }
        SimulatedHostController host = realTimeBus(needsHighSpeed(models));
        UsbIpServer.Builder b = UsbIpServer.builder(host);
        if (allowed.length > 0) {
            b.allow(allowed);
        }
        b.idleTimeout(idleTimeout(idleSeconds, stdio));
        int n = 1;
        for (DeviceModel m : models) {
            b.attach("1-" + n++, m);
        }
        if (!stdio) {
            b.port(port).bindAddress(bind != null ? bind : InetAddress.getLoopbackAddress());
        }
        UsbIpServer server = b.build();
        CountDownLatch done = new CountDownLatch(1);
        try {
            if (stdio) {
                Thread t = new Thread(
                        () -> {
                            server.serve(
                                    new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
                            done.countDown();
                        },
                        "usbip-stdio");
                t.setDaemon(true);
                t.start();
            } else {
                InetAddress address = bind != null ? bind : InetAddress.getLoopbackAddress();
                try {
                    server.start();
                } catch (BindException e) {
                    // its message ("Address already in use") names neither the address nor the port
                    throw new IOException("cannot listen on " + hostAndPort(address, port) + ": " + e.getMessage(), e);
                }
                System.err.println(
                        "usbip: listening on " + hostAndPort(address, server.port()) + " exporting " + server.busIds());
            }
            boolean finished = seconds > 0 ? await(done, seconds) : await(done, Long.MAX_VALUE / 2);
            if (!finished) {
                log().info("time limit of {} s reached", seconds);
            }
        } finally {
            server.close();
            host.close();
        }
        return 0;
    }

    /**
     * The idle timeout for {@code --idle-seconds}: as given, or by default {@value
     * UsbIpServer#DEFAULT_IDLE_SECONDS} s over TCP and none over stdio, whose one peer is the process that
     * started the server (QEMU's guestfwd). Shared with the {@code usbd serve-usbip} command.
     *
     * @param idleSeconds the option's value, {@code null} when not given
     * @param stdio whether the server serves stdin/stdout
     * @return the timeout, {@link Duration#ZERO} for none
     */
    public static Duration idleTimeout(Long idleSeconds, boolean stdio) {
        return Duration.ofSeconds(idleSeconds != null ? idleSeconds : stdio ? 0 : UsbIpServer.DEFAULT_IDLE_SECONDS);
    }

    /**
     * An address and port as a user types them: {@code 127.0.0.1:3240}, {@code [::1]:3240} (an IPv6
     * address in brackets, or its last group would read as the port). Shared with the {@code usbd
     * serve-usbip} command.
     *
     * @param address the address
     * @param port the port
     * @return the text
     */
    public static String hostAndPort(InetAddress address, int port) {
        String host = address.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static boolean await(CountDownLatch latch, long seconds) {
        try {
            return latch.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A started simulated bus on the real-time clock for these built-in devices (not attached yet): high
     * speed when one of them needs it (the camera, the high-speed loopback; full-speed devices run on a
     * high-speed bus too), full speed otherwise. Shared with the {@code usbd serve-usbip} command.
     *
     * @param deviceNames names from {@link #DEVICE_NAMES}
     * @return the running bus; close it when done
     */
    public static SimulatedHostController realTimeBus(List<String> deviceNames) {
        return realTimeBus(deviceNames.contains("loopback-hs") || deviceNames.contains("camera"));
    }

    /**
     * Whether a bus for these models must be high speed.
     *
     * @param models the models
     * @return {@code true} when one of them runs at high speed
     */
    public static boolean needsHighSpeed(List<DeviceModel> models) {
        return models.stream().anyMatch(m -> m.speed() == UsbSpeed.HIGH);
    }

    /**
     * A started simulated bus on the real-time clock (nothing attached yet). Shared with the {@code usbd
     * serve-usbip} command.
     *
     * @param highSpeed a high-speed bus (full-speed devices run on it too), else full speed
     * @return the running bus; close it when done
     */
    public static SimulatedHostController realTimeBus(boolean highSpeed) {
        SimulatedHostController host = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .speed(highSpeed ? UsbSpeed.HIGH : UsbSpeed.FULL)
                .build();
        host.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {
                log().info("attached {}", device.location());
            }

            @Override
            public void deviceDetached(BackendDevice device) {
                log().info("detached {}", device.location());
            }
        });
        return host;
    }

    /**
     * A new instance of a built-in simulated device. Shared with the {@code usbd serve-usbip} command.
     *
     * @param name one of {@link #DEVICE_NAMES}
     * @return the model
     * @throws IllegalArgumentException for another name
     */
    public static DeviceModel model(String name) {
        return switch (name) {
            case "loopback" -> LoopbackDevice.fullSpeed();
            case "loopback-hs" -> LoopbackDevice.highSpeed();
            case "microphone" -> new Uac1Microphone();
            case "speaker" -> new Uac1Speaker();
            case "camera" -> new UvcCamera();
            default -> throw new IllegalArgumentException("unknown device " + name);
        };
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int number(String s, String option) {
        try {
            int v = Integer.parseInt(s);
            if (v < 0) {
                throw new IllegalArgumentException(option + " must not be negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a number: " + s, e);
        }
    }
}
