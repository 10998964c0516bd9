package io.github.usbd4j.realkernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Guest side of USB/IP: attaches the device that the host's guestfwd server exports (bus id 1-1, the
 * first {@code --device} of {@code UsbIpMain}) to the guest's vhci-hcd with the {@code usbip} tool, and
 * detaches it again by vhci port, which is what a real unplug looks like to the guest kernel.
 */
final class GuestUsbIp {
    private static final Path VHCI = Path.of("/sys/devices/platform/vhci_hcd.0");

    private GuestUsbIp() {}

    /**
     * Attaches bus id {@code busId} of the guestfwd server.
     *
     * @return the vhci port, for {@link #detach}
     */
    static int attach(String busId) throws IOException, InterruptedException {
        Set<Integer> before = usedPorts();
        run("usbip", "attach", "-r", QemuGuest.USBIP_HOST, "-b", busId);
        Set<Integer> after = usedPorts();
        after.removeAll(before);
        if (after.size() != 1) {
            throw new AssertionError("cannot tell the new vhci port: before " + before + ", now " + usedPorts() + "; "
                    + Files.readString(VHCI.resolve("status")));
        }
        return after.iterator().next();
    }

    /** Detaches a vhci port: the device is gone for the guest kernel, as if unplugged. */
    static void detach(int port) throws IOException {
        // what `usbip detach` does, without its libudev scan of every port, which fails while a port is
        // between states ("open vhci_driver")
        Files.writeString(VHCI.resolve("detach"), Integer.toString(port), StandardCharsets.US_ASCII);
    }

    /** Ports in use, from vhci-hcd's status files (one per controller: status, status.1, …). */
    static Set<Integer> usedPorts() throws IOException {
        Set<Integer> ports = new TreeSet<>();
        try (Stream<Path> s = Files.list(VHCI)) {
            for (Path f : s.filter(p -> p.getFileName().toString().startsWith("status"))
                    .toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
                    // hub port sta spd dev sockfd local_busid; sta 004 = VDEV_ST_NULL (free), 005 = attached but
                    // not yet addressed, 006 = in use
                    String[] w = line.trim().split("\\s+");
                    if (w.length >= 3 && !w[0].equals("hub") && !w[2].equals("004")) {
                        ports.add(Integer.parseInt(w[1]));
                    }
                }
            }
        }
        return ports;
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out.trim());
        }
    }
}
