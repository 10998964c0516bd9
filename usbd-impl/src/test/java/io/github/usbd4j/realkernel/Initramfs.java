package io.github.usbd4j.realkernel;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Builds the guest's initramfs: a static busybox, the kernel modules for virtio-9p, xHCI, virtio-net and
 * USB/IP (with their dependencies, in load order, as {@code modprobe --show-depends} resolves them), and
 * an {@code /init} that loads them, mounts the host root read-only over 9p, mounts the run's writable
 * share, chroots into the host root and runs the host's {@code java} with an argument file, prints
 * {@code GUEST_RC=n} and powers off.
 *
 * <p>Written as an uncompressed cpio "newc" archive directly from Java (no cpio or gzip processes, and the
 * TCG guest does not spend time decompressing). The kernel passes unknown {@code name=value} parameters of
 * its command line to {@code /init} as environment variables, which is how {@link QemuGuest} hands over the
 * paths, so {@code /init} needs no processes to parse {@code /proc/cmdline}: under TCG every exec costs
 * about 0.1 s.
 */
final class Initramfs {
    /** Always loaded: host filesystem share and the xHCI controller that carries QEMU's usb-audio. */
    static final List<String> BASE_MODULES = List.of("virtio_pci", "9pnet_virtio", "9p", "xhci_pci");
    /** Loaded with {@code usbd4j_usbip=1}: the network for guestfwd and the USB/IP client controller. */
    static final List<String> USBIP_MODULES = List.of("virtio_net", "usbip_core", "vhci_hcd");
    /** Loaded with {@code usbd4j_uhci=1}: the UHCI controller of a second usb-audio device. */
    static final List<String> UHCI_MODULES = List.of("uhci_hcd");

    private static final String[] APPLETS = {
        "sh", "mount", "umount", "mkdir", "insmod", "chroot", "poweroff", "ip", "sync"
    };

    private Initramfs() {}

    /**
     * Writes the initramfs for a kernel.
     *
     * @param kernel the kernel whose modules to include
     * @param busybox a static busybox
     * @param target the archive to write
     */
    static void build(RealKernel.Kernel kernel, Path busybox, Path target) throws IOException {
        List<Path> base = resolve(kernel, BASE_MODULES, Set.of());
        Set<Path> have = new LinkedHashSet<>(base);
        List<Path> usbip = resolve(kernel, USBIP_MODULES, have);
        have.addAll(usbip);
        List<Path> uhci = resolve(kernel, UHCI_MODULES, have);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (Cpio c = new Cpio(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            for (String d : new String[] {"bin", "dev", "proc", "sys", "host", "mods"}) {
                c.dir(d);
            }
            c.file("bin/busybox", 0755, Files.readAllBytes(busybox));
            for (String a : APPLETS) {
                c.symlink("bin/" + a, "busybox");
            }
            for (Path ko : union(union(base, usbip), uhci)) {
                c.file("mods/" + ko.getFileName(), 0644, Files.readAllBytes(ko));
            }
            c.file("init", 0755, init(base, usbip, uhci).getBytes(StandardCharsets.UTF_8));
        }
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Path> union(List<Path> a, List<Path> b) {
        List<Path> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The .ko files to insmod, in order, for these modules; built-in ones and those in {@code have} skipped. */
    static List<Path> resolve(RealKernel.Kernel kernel, List<String> modules, Set<Path> have) throws IOException {
        Set<Path> out = new LinkedHashSet<>();
        for (String m : modules) {
            Process p = new ProcessBuilder(
                            RealKernel.onPath("modprobe").orElseThrow().toString(),
                            "-S",
                            kernel.version(),
                            "--show-depends",
                            m)
                    .redirectErrorStream(true)
                    .start();
            String text;
            try (InputStream in = p.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("modprobe --show-depends " + m + " failed: " + text);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            for (String line : text.split("\n")) {
                String[] w = line.trim().split("\\s+");
                if (w.length >= 2 && w[0].equals("insmod")) {
                    Path ko = Path.of(w[1]);
                    if (!have.contains(ko)) {
                        out.add(ko);
                    }
                } // "builtin <name>": nothing to load
            }
        }
        return new ArrayList<>(out);
    }

    private static String init(List<Path> base, List<Path> usbip, List<Path> uhci) {
        StringBuilder s = new StringBuilder();
        s.append("#!/bin/sh\n");
        s.append("# usbd4j real-kernel guest init; env from the kernel command line: usbd4j_work usbd4j_java"
                + " usbd4j_usbip usbd4j_uhci\n");
        s.append("export PATH=/bin\n");
        s.append("t() { read up rest < /proc/uptime; echo \"USBD4J_T $1 $up\"; }\n");
        s.append("die() { echo \"USBD4J_INIT_FAILED $1\"; echo GUEST_RC=125; poweroff -f; }\n");
        s.append("mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev\n");
        s.append("t init\n");
        for (Path ko : base) {
            s.append("insmod /mods/")
                    .append(ko.getFileName())
                    .append(" || die 'insmod ")
                    .append(ko.getFileName())
                    .append("'\n");
        }
        s.append("if [ \"$usbd4j_usbip\" = 1 ]; then\n");
        for (Path ko : usbip) {
            s.append("  insmod /mods/")
                    .append(ko.getFileName())
                    .append(" || die 'insmod ")
                    .append(ko.getFileName())
                    .append("'\n");
        }
        s.append("fi\n");
        s.append("if [ \"$usbd4j_uhci\" = 1 ]; then\n");
        for (Path ko : uhci) {
            s.append("  insmod /mods/")
                    .append(ko.getFileName())
                    .append(" || die 'insmod ")
                    .append(ko.getFileName())
                    .append("'\n");
        }
        s.append("fi\n");
        s.append("t modules\n");
        s.append("mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host"
                + " || die 'host root'\n");
        s.append(
                "mount -t proc proc /host/proc; mount -t sysfs sysfs /host/sys; mount -t devtmpfs devtmpfs /host/dev\n");
        // /tmp stays the host's (read-only): the project may live under it; the guest writes to /run/tmp
        s.append("mount -t tmpfs tmpfs /host/run; mkdir -p /host/run/tmp\n");
        s.append(
                "mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work /host$usbd4j_work || die 'work share'\n");
        s.append("if [ \"$usbd4j_usbip\" = 1 ]; then\n");
        s.append("  ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || die 'network'\n");
        // usb4java's libusb (built with libudev) hears of devices attached after it started only from
        // udevd; its rules are masked so that, under TCG, it only passes the kernel's events on
        s.append("  mount -t tmpfs tmpfs /host/lib/udev/rules.d; mount -t tmpfs tmpfs /host/etc/udev/rules.d\n");
        s.append("  chroot /host " + RealKernel.UDEVD + " --daemon || die 'udevd'\n");
        s.append("fi\n");
        s.append("t mounted\n");
        s.append("export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n");
        s.append("chroot /host \"$usbd4j_java\" \"@$usbd4j_work/java.args\"\n");
        s.append("rc=$?\n");
        s.append("t done\n");
        s.append("echo GUEST_RC=$rc\n");
        s.append("umount /host$usbd4j_work\n");
        s.append("poweroff -f\n");
        return s.toString();
    }

    /** A minimal cpio "newc" writer: directories, regular files and symlinks, all owned by root. */
    private static final class Cpio implements AutoCloseable {
        private final OutputStream out;
        private long written;
        private int ino = 1;

        Cpio(OutputStream out) {
            this.out = out;
        }

        void dir(String name) throws IOException {
            entry(name, 0040755, 2, new byte[0]);
        }

        void file(String name, int perm, byte[] data) throws IOException {
            entry(name, 0100000 | perm, 1, data);
        }

        void symlink(String name, String target) throws IOException {
            entry(name, 0120777, 1, target.getBytes(StandardCharsets.UTF_8));
        }

        private void entry(String name, int mode, int nlink, byte[] data) throws IOException {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            StringBuilder h = new StringBuilder("070701");
            long[] fields = {ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, 0, 0, n.length + 1, 0};
            for (long f : fields) {
                h.append(String.format("%08x", f));
            }
            write(h.toString().getBytes(StandardCharsets.US_ASCII));
            write(n);
            write(new byte[1]);
            pad();
            write(data);
            pad();
        }

        private void write(byte[] b) throws IOException {
            out.write(b);
            written += b.length;
        }

        private void pad() throws IOException {
            while (written % 4 != 0) {
                write(new byte[1]);
            }
        }

        @Override
        public void close() throws IOException {
            ino = 0;
            entry("TRAILER!!!", 0, 1, new byte[0]);
            out.close();
        }
    }
}
