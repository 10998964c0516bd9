package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.loopback.LoopbackTestDriver;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.LoopbackDevice;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --plot}: the PNG decodes, has its size, and injected faults show in the error strip. */
class FramePlotTest {
    private static final int STRIP_MIDDLE = FramePlot.ERROR_STRIP_TOP + FramePlot.ERROR_STRIP_HEIGHT / 2;

    @Test
    void anInjectedCrcErrorIsMarkedInItsFrame(@TempDir Path dir) throws Exception {
        FramePlot plot = new FramePlot("loopback with a CRC error in frame 1500");
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 3)) {
            LoopbackTestDriver d = new LoopbackTestDriver(1, 3_000);
            d.addFrameListener(plot);
            bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
            bus.attach(
                    LoopbackDevice.fullSpeed(),
                    FaultPlan.builder().faultAt(1_500, 0x81, PacketStatus.CRC).build());
            assertThat(bus.runUntil(d::isFinished, 5_000)).isTrue();
        }
        assertThat(plot.frames()).isEqualTo(6_000);
        Path png = dir.resolve("plot.png");
        plot.write(png);

        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).isNotNull();
        assertThat(img.getWidth()).isEqualTo(FramePlot.WIDTH);
        assertThat(img.getHeight()).isEqualTo(FramePlot.HEIGHT);
        int crc = FramePlot.errorColor(UsbTypes.USB_CRC_ERROR).getRGB();
        assertThat(img.getRGB(plot.x(1_500), STRIP_MIDDLE)).isEqualTo(crc);
        int errorColumns = 0;
        for (int x = FramePlot.LEFT; x < FramePlot.RIGHT; x++) {
            if (img.getRGB(x, STRIP_MIDDLE) == crc) {
                errorColumns++;
            }
        }
        assertThat(errorColumns).as("one mark, two pixels wide, nowhere else").isEqualTo(2);
    }

    @Test
    void theToolWritesThePlot(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("loopback.png");
        StringWriter out = new StringWriter();
        var cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        int exit = cl.execute(
                "loopback-test",
                "--frames",
                "2000",
                "--missed-frame",
                "1000",
                "--max-errors",
                "2",
                "--plot",
                png.toString());
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("per-frame plot (4000 frames) written to " + png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(FramePlot.WIDTH);
        assertThat(img.getHeight()).isEqualTo(FramePlot.HEIGHT);
        int missed = FramePlot.errorColor(UsbTypes.USB_NOT_ACCESSED_ERROR).getRGB();
        int first = -1;
        int last = -1;
        for (int x = FramePlot.LEFT; x < FramePlot.RIGHT; x++) {
            if (img.getRGB(x, STRIP_MIDDLE) == missed) {
                first = first < 0 ? x : first;
                last = x;
            }
        }
        int middle = (FramePlot.LEFT + FramePlot.RIGHT) / 2;
        assertThat(first)
                .as("the missed frame 1000 of ~2000 is marked mid-plot")
                .isBetween(middle - 20, middle + 20);
        assertThat(last - first).isLessThanOrEqualTo(2);

        var bad = UsbdTool.commandLine();
        StringWriter err = new StringWriter();
        bad.setErr(new PrintWriter(err, true));
        assertThat(bad.execute(
                        "demo",
                        "--seconds",
                        "1",
                        "--plot",
                        dir.resolve("no/such/dir/x.png").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--plot: no such directory");
        assertThat(Files.exists(dir.resolve("no"))).isFalse();
    }
}
