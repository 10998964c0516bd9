package io.github.usbd4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package layering, checked on the sources of usbd-api and usbd-impl rather than on class files: javac
 * inlines constants ({@code static final int}), so a class that uses only a constant of another package
 * leaves no trace in its bytecode, and an ArchUnit rule cannot see it. This test reads every
 * {@code import}, {@code import static} and fully qualified name in code (comments and string literals
 * are ignored).
 *
 * <p>The layers: the neutral chapter-9 and Win32 packages ({@code usb}, {@code descriptor}, {@code win32})
 * depend on no personality; each personality's API ({@code ce}, {@code winusb}, {@code wdm}) depends on no
 * other; the backends and the backend SPI ({@code host.spi}, {@code sim}, {@code libusb}, {@code usbip})
 * depend on no personality and no engine internals. Inside the runtime, the engine core
 * ({@code internal.engine}) knows no personality; the personalities' implementations ({@code internal.ce},
 * {@code internal.winusb}, {@code internal.wdm}) are peers over it and none references another; what WinUSB
 * and WDM share ({@code internal.desktop}) is neither's. The usbmon capture format ({@code capture}) depends
 * on no personality, engine internal or backend (the simulator's replay model uses it, not the reverse); the
 * capture writer ({@code internal.capture}) plugs into the engine's tap and knows no personality, and the
 * engine does not know it.
 */
class SourceLayeringTest {

    private static final String ROOT = "io.github.usbd4j.";

    /** Package (or package prefix, ending in '.') → the project packages it must not reference. */
    private static final Map<String, Set<String>> FORBIDDEN = Map.ofEntries(
            Map.entry("usb", Set.of("ce", "winusb", "wdm", "internal", "host", "sim", "libusb", "usbip", "capture")),
            Map.entry(
                    "descriptor",
                    Set.of("ce", "winusb", "wdm", "internal", "host", "sim", "libusb", "usbip", "capture")),
            Map.entry("win32", Set.of("ce", "winusb", "wdm", "internal", "host", "sim", "libusb", "usbip", "capture")),
            // USBD's model does not know the device manager, which loads drivers of every bus
            Map.entry(
                    "ce",
                    Set.of("ce.devmgr", "winusb", "wdm", "internal", "host", "sim", "libusb", "usbip", "capture")),
            Map.entry("ce.devmgr", Set.of("winusb", "wdm", "internal", "host", "sim", "libusb", "usbip", "capture")),
            // the device manager runs on the public API only: no engine internals, no backend
            Map.entry(
                    "internal.devmgr",
                    Set.of(
                            "internal.engine",
                            "internal.ce",
                            "internal.winusb",
                            "internal.wdm",
                            "internal.desktop",
                            "winusb",
                            "wdm",
                            "host",
                            "sim",
                            "libusb",
                            "usbip")),
            // the registry store serves USBD and the device manager alike, and knows neither
            Map.entry(
                    "internal.registry",
                    Set.of(
                            "ce.devmgr",
                            "internal.engine",
                            "internal.ce",
                            "internal.devmgr",
                            "internal.winusb",
                            "internal.wdm",
                            "internal.desktop",
                            "winusb",
                            "wdm",
                            "host",
                            "sim",
                            "libusb",
                            "usbip")),
            Map.entry("winusb", Set.of("ce", "wdm", "internal", "host", "sim", "libusb", "usbip", "capture")),
            Map.entry("wdm", Set.of("ce", "winusb", "internal", "host", "sim", "libusb", "usbip", "capture")),
            Map.entry("host.spi", Set.of("ce", "winusb", "wdm", "internal", "sim", "libusb", "usbip", "capture")),
            Map.entry("sim", Set.of("ce", "winusb", "wdm", "internal", "libusb", "usbip")),
            Map.entry("libusb", Set.of("ce", "winusb", "wdm", "internal", "sim", "usbip", "capture")),
            Map.entry("usbip", Set.of("ce", "winusb", "wdm", "internal", "libusb")),
            // the capture format (reader, constants) is neutral: the CE-visible status comes in as text
            Map.entry("capture", Set.of("ce", "winusb", "wdm", "internal", "sim", "libusb", "usbip")),
            // the engine core knows no personality, and not the capture that plugs into its tap
            Map.entry(
                    "internal.engine",
                    Set.of(
                            "ce",
                            "winusb",
                            "wdm",
                            "internal.ce",
                            "internal.winusb",
                            "internal.wdm",
                            "internal.desktop",
                            "internal.capture",
                            "sim",
                            "libusb",
                            "usbip")),
            // the personalities are peers over it
            Map.entry(
                    "internal.ce",
                    Set.of(
                            "winusb",
                            "wdm",
                            "internal.winusb",
                            "internal.wdm",
                            "internal.desktop",
                            "sim",
                            "libusb",
                            "usbip")),
            Map.entry("internal.winusb", Set.of("ce", "wdm", "internal.ce", "internal.wdm", "sim", "libusb", "usbip")),
            Map.entry(
                    "internal.wdm", Set.of("ce", "winusb", "internal.ce", "internal.winusb", "sim", "libusb", "usbip")),
            // what WinUSB and WDM share is neither's
            Map.entry(
                    "internal.desktop",
                    Set.of(
                            "ce",
                            "winusb",
                            "wdm",
                            "internal.ce",
                            "internal.winusb",
                            "internal.wdm",
                            "sim",
                            "libusb",
                            "usbip")),
            // the capture writer sees transfers through the engine only: personalities describe themselves
            // through TransferOwner, so the writer knows none of them
            Map.entry(
                    "internal.capture",
                    Set.of(
                            "ce",
                            "winusb",
                            "wdm",
                            "internal.ce",
                            "internal.winusb",
                            "internal.wdm",
                            "internal.desktop",
                            "internal.devmgr",
                            "sim",
                            "libusb",
                            "usbip")));

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
    /** A project name in code: an import target or a qualified use, e.g. {@code io.github.usbd4j.ce.UsbTypes.X}. */
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.github\\.usbd4j\\.(\\w+(?:\\.\\w+)*)");

    @Test
    void everyLayerRule_holdsForEveryMainSourceFile() {
        List<String> violations = new ArrayList<>();
        int files = 0;
        for (Path source : mainSources()) {
            files++;
            violations.addAll(violations(source.toString(), read(source)));
        }
        assertThat(files).as("main source files read").isGreaterThan(100);
        assertThat(violations).isEmpty();
    }

    @Test
    void scanner_seesStaticImportsAndQualifiedConstantsButNotComments() {
        String source = """
                package io.github.usbd4j.sim;

                import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;
                import io.github.usbd4j.usb.Usb100;

                /** Mentions {@link io.github.usbd4j.wdm.Wdm} in a comment only. */
                class X {
                    // io.github.usbd4j.winusb.WinUsb in a line comment
                    String s = "io.github.usbd4j.internal.engine in a string";
                    int a = io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
                }
                """;
        assertThat(violations("X.java", source))
                .containsExactly(
                        "X.java: io.github.usbd4j.sim references io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT",
                        "X.java: io.github.usbd4j.sim references io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER");
    }

    @Test
    void scanner_appliesPrefixRulesToSubpackages() {
        String source = "package io.github.usbd4j.sim.models;\nimport io.github.usbd4j.internal.engine.X;\n";
        assertThat(violations("Y.java", source)).hasSize(1);
        String allowed = "package io.github.usbd4j.sim;\nimport io.github.usbd4j.usb.UsbDeviceRequest;\n";
        assertThat(violations("Z.java", allowed)).isEmpty();
    }

    @Test
    void deviceManagerRules_keepUsbdAndTheEngineOut() {
        String usbd = "package io.github.usbd4j.ce;\nimport io.github.usbd4j.ce.devmgr.DeviceManager;\n";
        assertThat(violations("A.java", usbd)).hasSize(1);
        String api = "package io.github.usbd4j.ce.devmgr;\nimport io.github.usbd4j.ce.ClientRegistryKey;\n";
        assertThat(violations("B.java", api)).isEmpty();
        String impl = lines(
                "package io.github.usbd4j.internal.devmgr;",
                "import io.github.usbd4j.internal.ce.CeFuncs;",
                "import io.github.usbd4j.ce.devmgr.DeviceManager;");
        assertThat(violations("C.java", impl))
                .containsExactly(
                        "C.java: io.github.usbd4j.internal.devmgr references io.github.usbd4j.internal.ce.CeFuncs");
    }

    @Test
    void scanner_keepsTheEngineFreeOfPersonalities_andThePersonalitiesApart() {
        assertThat(violations(
                        "E.java",
                        lines(
                                "package io.github.usbd4j.internal.engine;",
                                "import static io.github.usbd4j.ce.UsbTypes.USB_NO_WAIT;")))
                .hasSize(1);
        assertThat(violations(
                        "E.java",
                        lines(
                                "package io.github.usbd4j.internal.engine;",
                                "class E { Object o = io.github.usbd4j.internal.ce.CeFuncs.class; }")))
                .hasSize(1);
        assertThat(violations(
                        "W.java",
                        lines(
                                "package io.github.usbd4j.internal.winusb;",
                                "import io.github.usbd4j.internal.wdm.WdmFuncs;")))
                .hasSize(1);
        assertThat(violations(
                        "D.java",
                        lines(
                                "package io.github.usbd4j.internal.desktop;",
                                "import io.github.usbd4j.winusb.Overlapped;")))
                .hasSize(1);
        assertThat(violations(
                        "M.java",
                        lines(
                                "package io.github.usbd4j.internal.wdm;",
                                "import io.github.usbd4j.internal.desktop.DesktopIsoch;",
                                "import io.github.usbd4j.internal.engine.Engine;",
                                "import io.github.usbd4j.wdm.Urb;")))
                .isEmpty();
    }

    private static String lines(String... lines) {
        return String.join(System.lineSeparator(), lines);
    }

    /** The violations of one source file: "file: package references name". */
    static List<String> violations(String file, String source) {
        String code = stripCommentsAndStrings(source);
        Matcher pm = PACKAGE.matcher(code);
        if (!pm.find() || !pm.group(1).startsWith(ROOT)) {
            return List.of();
        }
        String pkg = pm.group(1).substring(ROOT.length());
        Set<String> forbidden = forbiddenFor(pkg);
        List<String> out = new ArrayList<>();
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
            String target = m.group(1);
            for (String f : forbidden) {
                if (target.equals(f) || target.startsWith(f + ".")) {
                    out.add(file + ": " + ROOT + pkg + " references " + ROOT + target);
                    break;
                }
            }
        }
        return out;
    }

    /** The rule of the longest matching layer: {@code sim.models} follows {@code sim}. */
    private static Set<String> forbiddenFor(String pkg) {
        String best = null;
        for (String layer : FORBIDDEN.keySet()) {
            if ((pkg.equals(layer) || pkg.startsWith(layer + "."))
                    && (best == null || layer.length() > best.length())) {
                best = layer;
            }
        }
        return best == null ? Set.of() : new TreeSet<>(FORBIDDEN.get(best));
    }

    /** Blanks out comments, string and text-block literals and char literals, keeping line structure. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                keepNewlines(s, i, end, out);
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                end = end < 0 ? n : end + 3;
                keepNewlines(s, i, end, out);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(n, j + 1);
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void keepNewlines(String s, int from, int to, StringBuilder out) {
        for (int k = from; k < to; k++) {
            if (s.charAt(k) == '\n') {
                out.append('\n');
            }
        }
    }

    private static List<Path> mainSources() {
        Path impl = Path.of("").toAbsolutePath();
        List<Path> roots = List.of(
                impl.resolve("src/main/java"), impl.resolveSibling("usbd-api").resolve("src/main/java"));
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            assertThat(root).as("source root").isDirectory();
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
