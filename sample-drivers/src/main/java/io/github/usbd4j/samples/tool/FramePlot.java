package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.samples.io.AtomicFile;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The per-frame timeline of a run as a PNG ({@code usbd ... --plot FILE.png}): for every stream the
 * actual length of each frame ({@code GetIsochResults}, <a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>)
 * over bus time, and a strip above the plot with a mark in the error's colour for every frame whose {@code USB_ERROR}
 * was not {@code USB_NO_ERROR}. Java2D and ImageIO only, headless.
 *
 * <p>It is a {@link IsochStreamingDriver.FrameListener}: add it to a driver before attaching the device.
 * Memory is 12 bytes per frame.
 */
public final class FramePlot implements IsochStreamingDriver.FrameListener {
    /** Image width in pixels. */
    public static final int WIDTH = 1200;
    /** Image height in pixels. */
    public static final int HEIGHT = 600;

    static final int LEFT = 90;
    static final int RIGHT = WIDTH - 30;
    static final int ERROR_STRIP_TOP = 50;
    static final int ERROR_STRIP_HEIGHT = 26;
    static final int PLOT_TOP = ERROR_STRIP_TOP + ERROR_STRIP_HEIGHT + 14;
    static final int PLOT_BOTTOM = HEIGHT - 110;

    private static final Color[] SERIES_COLORS = {
        new Color(0x1f77b4), new Color(0x2ca02c), new Color(0x17becf), new Color(0x7f7f7f)
    };
    private static final Color GRID = new Color(0xE6E6E6);

    private final String title;
    // guarded by this; one series per endpoint, in the order frames first arrived
    private final Map<Integer, Series> series = new LinkedHashMap<>();
    private long base = Long.MIN_VALUE;
    private long minFrame = Long.MAX_VALUE;
    private long maxFrame = Long.MIN_VALUE;

    /** @param title the line above the plot, e.g. the command */
    public FramePlot(String title) {
        this.title = title;
    }

    @Override
    public synchronized void frame(IsochStream stream, long index, long busFrame, int length, int usbError) {
        if (base == Long.MIN_VALUE) {
            base = busFrame;
        }
        series.computeIfAbsent(stream.endpointAddress(), Series::new).add((int) (busFrame - base), length, usbError);
        minFrame = Math.min(minFrame, busFrame);
        maxFrame = Math.max(maxFrame, busFrame);
    }

    /** Frames recorded over all streams. */
    public synchronized long frames() {
        long n = 0;
        for (Series s : series.values()) {
            n += s.size;
        }
        return n;
    }

    /** The colour of an error's marks: fixed for the common ones, so that pictures compare. */
    static Color errorColor(int usbError) {
        return switch (usbError) {
            case UsbTypes.USB_CRC_ERROR -> new Color(0xD62728);
            case UsbTypes.USB_NOT_ACCESSED_ERROR -> new Color(0xFF7F0E);
            case UsbTypes.USB_DATA_OVERRUN_ERROR -> new Color(0x9467BD);
            case UsbTypes.USB_STALL_ERROR -> new Color(0x8C564B);
            case UsbTypes.USB_DEVICE_NOT_RESPONDING_ERROR -> new Color(0xE377C2);
            default -> new Color(0xBCBD22);
        };
    }

    /** The x pixel of a bus frame in the last {@link #render()}ed range. */
    synchronized int x(long busFrame) {
        long span = Math.max(1, maxFrame - minFrame);
        return LEFT + (int) Math.round((double) (busFrame - minFrame) * (RIGHT - LEFT - 1) / span);
    }

    /**
     * Writes the picture as a PNG, whole or not at all ({@link AtomicFile}). The PNG is encoded in memory:
     * ImageIO's default stream caches in a temporary file that a shutdown hook deletes, and after Ctrl-C the
     * plot is written while the JVM exits, when no hook can be added.
     */
    public void write(Path file) throws IOException {
        java.util.Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IOException("no PNG writer in this JRE");
        }
        ImageWriter writer = writers.next();
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        try (ImageOutputStream stream = new MemoryCacheImageOutputStream(png)) {
            writer.setOutput(stream);
            writer.write(render());
        } finally {
            writer.dispose();
        }
        AtomicFile.write(file, png.toByteArray());
    }

    /** Draws the picture. */
    public synchronized BufferedImage render() {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.setColor(Color.BLACK);
            g.drawString(title, LEFT, 28);
            g.setFont(small);
            if (series.isEmpty()) {
                g.drawString("no frames were recorded", LEFT, PLOT_TOP + 20);
                return img;
            }
            int maxLength = 1;
            for (Series s : series.values()) {
                for (int i = 0; i < s.size; i++) {
                    maxLength = Math.max(maxLength, s.length[i]);
                }
            }
            int yMax = niceCeiling(maxLength);
            drawAxes(g, yMax);

            // frames: data points first, error marks on top so that a few errors among many frames show
            int c = 0;
            Map<Integer, Long> errorCounts = new TreeMap<>();
            for (Series s : series.values()) {
                g.setColor(SERIES_COLORS[c++ % SERIES_COLORS.length]);
                for (int i = 0; i < s.size; i++) {
                    g.fillRect(x(base + s.frame[i]), y(s.length[i], yMax) - 1, 2, 2);
                }
            }
            for (Series s : series.values()) {
                for (int i = 0; i < s.size; i++) {
                    if (s.error[i] != UsbTypes.USB_NO_ERROR) {
                        int x = x(base + s.frame[i]);
                        g.setColor(errorColor(s.error[i]));
                        g.fillRect(x, ERROR_STRIP_TOP, 2, ERROR_STRIP_HEIGHT);
                        g.fillRect(x - 1, y(s.length[i], yMax) - 2, 4, 4);
                        errorCounts.merge(s.error[i], 1L, Long::sum);
                    }
                }
            }
            drawLegend(g, errorCounts);
        } finally {
            g.dispose();
        }
        return img;
    }

    private void drawAxes(Graphics2D g, int yMax) {
        FontMetrics fm = g.getFontMetrics();
        // error strip
        g.setColor(new Color(0xF4F4F4));
        g.fillRect(LEFT, ERROR_STRIP_TOP, RIGHT - LEFT, ERROR_STRIP_HEIGHT);
        g.setColor(Color.BLACK);
        g.drawString("errors", LEFT - 8 - fm.stringWidth("errors"), ERROR_STRIP_TOP + ERROR_STRIP_HEIGHT / 2 + 4);
        // y grid and ticks
        int yStep = niceStep(yMax);
        for (int v = 0; v <= yMax; v += yStep) {
            int y = y(v, yMax);
            g.setColor(GRID);
            g.drawLine(LEFT, y, RIGHT, y);
            g.setColor(Color.BLACK);
            String label = Integer.toString(v);
            g.drawString(label, LEFT - 6 - fm.stringWidth(label), y + 4);
        }
        // x grid and ticks, in seconds of bus time from the first frame
        long span = Math.max(1, maxFrame - minFrame);
        long xStep = niceStep(span);
        for (long f = 0; f <= span; f += xStep) {
            int x = x(minFrame + f);
            g.setColor(GRID);
            g.drawLine(x, PLOT_TOP, x, PLOT_BOTTOM);
            g.setColor(Color.BLACK);
            g.drawLine(x, PLOT_BOTTOM, x, PLOT_BOTTOM + 4);
            String label = seconds(f, xStep);
            g.drawString(label, x - fm.stringWidth(label) / 2, PLOT_BOTTOM + 18);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        g.drawLine(LEFT, PLOT_TOP, LEFT, PLOT_BOTTOM);
        g.drawLine(LEFT, PLOT_BOTTOM, RIGHT, PLOT_BOTTOM);
        String xLabel = String.format(
                Locale.ROOT,
                "bus time (s) from frame %d (1 frame = 1 ms); %d frames over all streams",
                minFrame,
                frames());
        g.drawString(xLabel, (LEFT + RIGHT - fm.stringWidth(xLabel)) / 2, PLOT_BOTTOM + 40);
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        String yLabel = "actual length per frame (bytes)";
        r.drawString(yLabel, -(PLOT_TOP + PLOT_BOTTOM + fm.stringWidth(yLabel)) / 2, 22);
        r.dispose();
    }

    private void drawLegend(Graphics2D g, Map<Integer, Long> errorCounts) {
        FontMetrics fm = g.getFontMetrics();
        int x = LEFT;
        int y = HEIGHT - 40;
        int c = 0;
        for (Series s : series.values()) {
            String label = String.format(
                    Locale.ROOT, "%s 0x%02X actual length", (s.endpoint & 0x80) != 0 ? "IN" : "OUT", s.endpoint);
            x = legendEntry(g, fm, x, y, SERIES_COLORS[c++ % SERIES_COLORS.length], label);
        }
        if (errorCounts.isEmpty()) {
            legendEntry(g, fm, x, y, new Color(0xF4F4F4), "no error frames");
        }
        for (Map.Entry<Integer, Long> e : errorCounts.entrySet()) {
            x = legendEntry(
                    g, fm, x, y, errorColor(e.getKey()), UsbTypes.errorName(e.getKey()) + " (" + e.getValue() + ")");
        }
    }

    private static int legendEntry(Graphics2D g, FontMetrics fm, int x, int y, Color color, String label) {
        g.setColor(color);
        g.fillRect(x, y - 10, 12, 12);
        g.setColor(Color.BLACK);
        g.drawRect(x, y - 10, 12, 12);
        g.drawString(label, x + 18, y);
        return x + 18 + fm.stringWidth(label) + 24;
    }

    private static int y(int length, int yMax) {
        return PLOT_BOTTOM - (int) Math.round((double) length * (PLOT_BOTTOM - PLOT_TOP) / yMax);
    }

    /** 1, 2 or 5 times a power of ten, giving at most 10 steps up to {@code max}. */
    static int niceStep(long max) {
        for (long decade = 1; ; decade *= 10) {
            for (long m : new long[] {1, 2, 5}) {
                if (max / (decade * m) <= 10) {
                    return (int) (decade * m);
                }
            }
        }
    }

    /** The smallest multiple of the tick step at or above {@code max}. */
    static int niceCeiling(int max) {
        int step = niceStep(max);
        return (max + step - 1) / step * step;
    }

    private static String seconds(long frames, long step) {
        return step >= 1000
                ? Long.toString(frames / 1000)
                : String.format(Locale.ROOT, "%.3f", frames / 1000.0)
                        .replaceAll("0+$", "")
                        .replaceAll("\\.$", "");
    }

    /** One endpoint's frames, in completion order. */
    private static final class Series {
        final int endpoint;
        int[] frame = new int[1024];
        int[] length = new int[1024];
        int[] error = new int[1024];
        int size;

        Series(int endpoint) {
            this.endpoint = endpoint;
        }

        void add(int f, int len, int err) {
            if (size == frame.length) {
                int n = size * 2;
                frame = Arrays.copyOf(frame, n);
                length = Arrays.copyOf(length, n);
                error = Arrays.copyOf(error, n);
            }
            frame[size] = f;
            length[size] = len;
            error[size] = err;
            size++;
        }
    }
}
