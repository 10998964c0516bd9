package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.uvc.UvcCameraDriver;
import io.github.usbd4j.samples.uvc.UvcDescriptors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code usbd camera}: video frames from a UVC camera through {@link UvcCameraDriver}. */
@Command(
        name = "camera",
        mixinStandardHelpOptions = true,
        description = "Captures video frames from a UVC camera in its current format (sim: the built-in camera"
                + " 1209:0004, YUY2 160x120, high speed) and saves each complete frame whole or not at all: YUY2 as"
                + " PGM (luma) and optionally raw, MJPEG as .jpg, other uncompressed formats raw.")
final class CameraCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @CommandLine.ParentCommand
    UsbdTool root;

    @Option(names = "--frames", defaultValue = "10", description = "Video frames (default: ${DEFAULT-VALUE}).")
    long frames;

    @Option(names = "--out", required = true, description = "Output directory (created if missing).")
    Path outDir;

    @Option(
            names = "--alt",
            defaultValue = "0",
            description = "VideoStreaming alternate setting; 0 (default) for the smallest that carries the"
                    + " negotiated payload.")
    int alt;

    @Option(names = "--raw", description = "Also save raw YUY2 frames.")
    boolean raw;

    @Option(
            names = "--device",
            description =
                    "The camera's VID:PID in hex, @BUS-PORTS for one of several alike (default: the one UVC camera"
                            + " on the bus).")
    String device;

    @CommandLine.Mixin
    StreamRun.Options streaming;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        StreamRun.checkCount(cl, "--frames", frames);
        if (alt < 0) {
            throw new ParameterException(cl, "--alt must be >= 0, was " + alt);
        }
        streaming.validate(cl);
        UvcCameraDriver d = new UvcCameraDriver(alt, frames, outDir, raw);
        boolean real = root.backend == UsbdTool.Backend.libusb;
        Target target = Target.choose(
                cl, real, device, d, "UVC camera", u -> Target.hasIso(u, UvcDescriptors::isVideoStreaming, true));
        StreamRun.Files2.checkOutputDirectory(cl, "--out", outDir);
        PrintWriter out = cl.getOut();
        try (StreamRun run = new StreamRun(cl, streaming)) {
            if (!run.open(
                    target,
                    d,
                    "UvcCamera",
                    UvcCameraDriver.settings(),
                    null,
                    0,
                    "usbd camera: " + target.title() + (alt == 0 ? "" : ", alt " + alt))) {
                out.println("interrupted while waiting for the device; nothing was captured");
                return ExitCode.INTERRUPTED.code();
            }
            UvcDescriptors.Format f = d.format().orElseThrow();
            int chosenAlt = d.alternateSettingInUse();
            out.printf(
                    Locale.ROOT,
                    "camera %s: %s, %dx%d, up to %d bytes per frame; alternate setting %d, %d bytes per interval"
                            + " (the camera asked for %d)%n",
                    target.title(),
                    f.mjpeg() ? "MJPEG" : f.fourcc(),
                    d.width(),
                    d.height(),
                    d.frameSize(),
                    chosenAlt,
                    d.streams().get(0).maxFrameLength(),
                    d.payloadSize());
            out.flush();
            long busFrames = run.runToEnd(d, frames * 1000 + 10_000, 0);
            out.printf(
                    Locale.ROOT,
                    "captured %d complete video frames (%dx%d %s, %s bytes each; %d incomplete) from %s alt %d in"
                            + " %s of bus time (%s wall), %d files saved to %s%n",
                    d.completeFrames(),
                    d.width(),
                    d.height(),
                    f.mjpeg() ? "MJPEG" : f.fourcc(),
                    (f.mjpeg() ? "up to " : "") + d.frameSize(),
                    d.incompleteFrames(),
                    target.id(),
                    chosenAlt,
                    UsbdTool.seconds(busFrames),
                    run.wall(),
                    d.savedFiles(),
                    outDir);
            Tally tally = new Tally().streams(d, -1, run.interrupted());
            if (!run.interrupted() && d.completeFrames() < frames && d.failure().isEmpty()) {
                tally.io("only " + d.completeFrames() + " of " + frames + " frames were captured");
            }
            return run.finish(d, tally);
        }
    }
}
