package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.CeFunction;
import io.github.usbd4j.ce.UsbFuncs;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The site's table of the 42 {@code USB_FUNCS} members (src-site/markdown/usb-funcs.md) is written by
 * hand; this keeps it equal to the {@link CeFunction} annotations of {@link UsbFuncs}: ordinal, CE member,
 * Java method and USBDI version of every row.
 */
class UsbFuncsPageTest {
    private static final Pattern ROW =
            Pattern.compile("^\\| (\\d+) \\| `(\\w+)` \\| `(\\w+)\\(.*?\\) *` \\| ([0-9.]+) \\|", Pattern.MULTILINE);

    @Test
    void thePageListsEveryMemberWithItsJavaMethod() throws IOException {
        Map<Integer, String> expected = new TreeMap<>();
        for (Method m : UsbFuncs.class.getMethods()) {
            CeFunction f = m.getAnnotation(CeFunction.class);
            if (f != null) {
                expected.put(f.ordinal(), f.member() + " " + m.getName() + " " + f.since());
            }
        }
        assertThat(expected).hasSize(42);

        String page = Files.readString(Path.of("../src-site/markdown/usb-funcs.md"), StandardCharsets.UTF_8);
        Map<Integer, String> listed = new TreeMap<>();
        Matcher r = ROW.matcher(page);
        while (r.find()) {
            String previous =
                    listed.put(Integer.parseInt(r.group(1)), r.group(2) + " " + r.group(3) + " " + r.group(4));
            assertThat(previous).as("row %s listed once", r.group(1)).isNull();
        }
        assertThat(listed).isEqualTo(expected);
    }
}
