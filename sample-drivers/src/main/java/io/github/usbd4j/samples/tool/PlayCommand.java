package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.audio.Uac1Descriptors;
import io.github.usbd4j.samples.audio.Uac1SpeakerDriver;
import io.github.usbd4j.samples.audio.Uac1Volume;
import io.github.usbd4j.samples.audio.WavFile;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.Uac1Speaker;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code usbd play}: a WAV file to a UAC1 speaker through {@link Uac1SpeakerDriver}. */
@Command(
        name = "play",
        mixinStandardHelpOptions = true,
        description = "Plays a PCM WAV file to a UAC1 speaker whose format has the file's channels, sample size and"
                + " rate (sim: the built-in speaker 1209:0002, 16-bit stereo at 44.1 or 48 kHz). --volume sets the"
                + " speaker's volume first and unmutes it.")
final class PlayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @CommandLine.ParentCommand
    UsbdTool root;

    @Parameters(paramLabel = "FILE.wav", description = "The file to play.")
    Path file;

    @Option(
            names = "--device",
            description = "The speaker's VID:PID in hex, @BUS-PORTS for one of several alike (default: the one UAC1"
                    + " speaker that plays the file).")
    String device;

    @Option(
            names = "--volume",
            paramLabel = "DB",
            description = "Set the volume of the speaker's feature unit to DB decibels (and clear its mute) before"
                    + " playing; e.g. 0, -12.5. Without it the device's volume is left as it is.")
    Double volume;

    @CommandLine.Mixin
    StreamRun.Options streaming;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        if (volume != null && (volume.isNaN() || volume.isInfinite())) {
            throw new ParameterException(cl, "--volume must be a number of decibels, was " + volume);
        }
        StreamRun.Files2.checkInputFile(cl, "FILE.wav", file);
        WavFile wav;
        try {
            wav = WavFile.read(file);
        } catch (IOException e) {
            throw new ParameterException(cl, file + ": " + StreamRun.Files2.reason(e));
        }
        streaming.validate(cl, new StreamRun.NamedFile("FILE.wav", file));
        Uac1SpeakerDriver d = new Uac1SpeakerDriver(wav);
        if (volume != null) {
            d.volume(volume);
        }
        boolean real = root.backend == UsbdTool.Backend.libusb;
        Target target = Target.choose(
                cl, real, device, d, "UAC1 speaker", u -> Target.hasIso(u, Uac1Descriptors::isAudioStreaming, false));
        PrintWriter out = cl.getOut();
        try (StreamRun run = new StreamRun(cl, streaming)) {
            if (!open(run, target, d)) {
                out.println("interrupted while waiting for the device; nothing was played");
                return ExitCode.INTERRUPTED.code();
            }
            d.volumeResult().ifPresent(v -> out.println("speaker: " + v.describe()));
            out.flush();
            long frames = run.runToEnd(d, d.frames() + 10_000, d.frames());
            out.printf(
                    Locale.ROOT,
                    "played %s: %d samples, %d Hz, %d ch, %d bit (%s) to %s in %s of bus time (%s wall)%n",
                    file,
                    wav.sampleFrames(),
                    wav.sampleRate(),
                    wav.channels(),
                    wav.bitsPerSample(),
                    UsbdTool.seconds(d.frames()),
                    target.id(),
                    UsbdTool.seconds(frames),
                    run.wall());
            if (run.bus() instanceof SimBus sim) {
                Uac1Speaker speaker = speaker(sim);
                byte[] got = speaker.recordedPcm();
                out.printf(
                        Locale.ROOT,
                        "speaker: sampling frequency set to %d Hz, received %d bytes in %d packets, %s the file%n",
                        speaker.sampleRate(),
                        got.length,
                        speaker.receivedPackets().size(),
                        Arrays.equals(got, wav.pcm()) ? "byte-exact with" : "DIFFERENT from");
            }
            return run.finish(d, new Tally().streams(d, d.frames(), run.interrupted()));
        }
    }

    /** Opens the device; a volume the device cannot take is a usage error, not an I/O error. */
    private boolean open(StreamRun run, Target target, Uac1SpeakerDriver d) {
        try {
            return run.open(
                    target,
                    d,
                    "Uac1Speaker",
                    Uac1SpeakerDriver.settings(),
                    null,
                    0,
                    "usbd play " + file.getFileName() + " to " + target.title());
        } catch (ToolException e) {
            if (d.volumeFailure()
                    .filter(Uac1Volume.VolumeException::isOutOfRange)
                    .isPresent()) {
                throw new ToolException(
                        ExitCode.USAGE, "--volume: " + d.volumeFailure().get().getMessage());
            }
            throw e;
        }
    }

    private static Uac1Speaker speaker(SimBus sim) {
        for (SimulatedDevice sd : sim.sim().devices()) {
            if (sd.model() instanceof Uac1Speaker s) {
                return s;
            }
        }
        throw new IllegalStateException("no simulated speaker on the bus");
    }
}
