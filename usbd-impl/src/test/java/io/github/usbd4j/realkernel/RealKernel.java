package io.github.usbd4j.realkernel;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the real-kernel stage needs on the build machine, found once: QEMU, a Debian-style kernel with its
 * modules, a static busybox, kmod's {@code modprobe}, and (for USB/IP) the {@code usbip} tool.
 *
 * <p>Missing pieces make the ITs skip with the reason, unless {@value #REQUIRE_ENV}{@code =1} is set
 * (as {@code .ci/run} does): then they fail, so CI can never pass by skipping.
 */
public final class RealKernel {
    /** The udev daemon, started in a USB/IP guest so libusb sees devices attached after it started. */
    static final String UDEVD = "/lib/systemd/systemd-udevd";

    /** Set to 1 to turn a missing prerequisite into a failure. */
    public static final String REQUIRE_ENV = "USBD4J_REQUIRE_REAL_KERNEL";

    private static final String INSTALL_HINT = " (Debian: apt-get install --no-install-recommends qemu-system-x86"
            + " linux-image-amd64 busybox-static usbip udev cpio kmod)";

    /** A kernel image and the version whose modules live in {@code /lib/modules/<version>}. */
    public record Kernel(Path image, String version, Path modules) {}

    private RealKernel() {}

    /**
     * Skips (or, under {@value #REQUIRE_ENV}=1, fails) the calling test unless everything is present.
     *
     * @param usbIp whether the test also needs the USB/IP command-line tool
     */
    public static void assumeReady(boolean usbIp) {
        List<String> missing = missing(usbIp);
        if (missing.isEmpty()) {
            return;
        }
        String reason = "real-kernel stage not possible here: " + String.join("; ", missing) + INSTALL_HINT;
        if ("1".equals(System.getenv(REQUIRE_ENV))) {
            fail(reason + " [" + REQUIRE_ENV + "=1, so this is a failure, not a skip]");
        }
        abort(reason);
    }

    /** What is missing; empty when the stage can run. */
    static List<String> missing(boolean usbIp) {
        List<String> m = new ArrayList<>();
        if (onPath("qemu-system-x86_64").isEmpty()) {
            m.add("qemu-system-x86_64 not on PATH");
        }
        if (onPath("modprobe").isEmpty()) {
            m.add("modprobe (kmod) not found");
        }
        if (kernel().isEmpty()) {
            m.add("no readable /boot/vmlinuz-* with /lib/modules/<version>/modules.dep");
        }
        Optional<Path> bb = busybox();
        if (bb.isEmpty()) {
            m.add("no statically linked busybox (busybox-static)");
        }
        if (usbIp && onPath("usbip").isEmpty()) {
            m.add("usbip tool not found");
        }
        if (usbIp && !Files.isExecutable(Path.of(UDEVD))) {
            // usb4java's libusb learns of devices attached after it started only through udevd's events
            m.add(UDEVD + " not found");
        }
        return m;
    }

    /** The newest kernel image that has its modules installed. */
    public static Optional<Kernel> kernel() {
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            return boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                    .filter(Files::isReadable)
                    .map(p -> {
                        String v = p.getFileName().toString().substring("vmlinuz-".length());
                        return new Kernel(p, v, Path.of("/lib/modules", v));
                    })
                    .filter(k -> Files.isRegularFile(k.modules().resolve("modules.dep")))
                    .max(Comparator.comparing(Kernel::version, RealKernel::compareVersions));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A busybox binary without a program interpreter, i.e. one that runs in an empty initramfs. */
    public static Optional<Path> busybox() {
        for (String p : List.of("/bin/busybox", "/usr/bin/busybox", "/usr/lib/initramfs-tools/bin/busybox")) {
            Path path = Path.of(p);
            if (Files.isRegularFile(path) && isStaticElf(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /** The first executable of this name on PATH, or in the sbin directories that a non-root PATH lacks. */
    public static Optional<Path> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** 64-bit little-endian ELF with no PT_INTERP program header. */
    static boolean isStaticElf(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] head = new byte[64];
            f.readFully(head);
            ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
            if (h.getInt(0) != 0x464c457f || head[4] != 2 || head[5] != 1) {
                return false;
            }
            long phoff = h.getLong(0x20);
            int phentsize = Short.toUnsignedInt(h.getShort(0x36));
            int phnum = Short.toUnsignedInt(h.getShort(0x38));
            byte[] ph = new byte[phentsize];
            for (int i = 0; i < phnum; i++) {
                f.seek(phoff + (long) i * phentsize);
                f.readFully(ph);
                if (ByteBuffer.wrap(ph).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == 3) { // PT_INTERP
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Compares "6.1.0-56-amd64"-style versions number by number. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("[^0-9]+");
        String[] y = b.split("[^0-9]+");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i].isEmpty() || y[i].isEmpty()) {
                continue;
            }
            int c = Long.compare(Long.parseLong(x[i]), Long.parseLong(y[i]));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }
}
