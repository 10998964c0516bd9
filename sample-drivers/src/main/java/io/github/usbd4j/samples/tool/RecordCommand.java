package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.audio.Uac1Descriptors;
import io.github.usbd4j.samples.audio.Uac1MicrophoneDriver;
import io.github.usbd4j.samples.audio.WavWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code usbd record}: a UAC1 microphone to a WAV file, written as the samples arrive ({@link WavWriter})
 * and put in place of the target only at the end, also when a signal stops the recording.
 */
@Command(
        name = "record",
        mixinStandardHelpOptions = true,
        description = "Records a UAC1 microphone to a WAV file in the device's format (sim: the built-in"
                + " microphone 1209:0003, 48 kHz 16-bit mono). The file is written as the samples arrive and"
                + " replaces FILE.wav only at the end; Ctrl-C (SIGINT) or SIGTERM ends the recording early with"
                + " a complete file. If nothing was received, FILE.wav is left as it was. With --replay CAPTURE,"
                + " records from the microphone of a usbmon capture, replayed on the simulator.")
final class RecordCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @CommandLine.ParentCommand
    UsbdTool root;

    @Parameters(paramLabel = "FILE.wav", description = "The file to write.")
    Path file;

    @Option(names = "--seconds", defaultValue = "5", description = "Seconds to record (default: ${DEFAULT-VALUE}).")
    double secondsToRecord;

    @Option(
            names = "--device",
            description = "The microphone's VID:PID in hex, @BUS-PORTS for one of several alike (default: the one UAC1"
                    + " microphone on the bus).")
    String device;

    @Option(
            names = "--rate",
            paramLabel = "HZ",
            defaultValue = "0",
            description = "Sampling frequency, for a device that offers several (default: 48000 if offered, else"
                    + " the highest).")
    int rate;

    @CommandLine.Mixin
    StreamRun.Options streaming;

    @CommandLine.Mixin
    ReplayOptions replay;

    /** The microphone driver writing to the WAV file as the samples arrive. */
    static final class Recorder extends Uac1MicrophoneDriver {
        private final Path file;
        private WavWriter writer;
        private long patchedAt;

        Recorder(Path file, long frames) {
            super(frames);
            this.file = file;
        }

        @Override
        protected synchronized void onPcm(long index, long busFrame, ByteBuffer data, int usbError) {
            if (failure().isPresent()) {
                return;
            }
            try {
                if (writer == null) {
                    Uac1Descriptors.Format f = format().orElseThrow();
                    writer = WavWriter.create(file, sampleRate(), f.channels(), f.subframeBytes() * 8);
                }
                writer.write(data);
                // about once a second the temporary file's header catches up: a killed process leaves a valid WAV
                if (writer.sampleFrames() - patchedAt >= sampleRate()) {
                    patchedAt = writer.sampleFrames();
                    writer.patchHeader();
                }
            } catch (IOException e) {
                fail(e);
            }
        }

        /**
         * Puts the file in place, or leaves the target as it was if nothing was received or writing failed.
         *
         * @return the writer that was finished, or {@code null}
         * @throws IOException if the file could not be put in place
         */
        synchronized WavWriter finishFile() throws IOException {
            if (writer == null) {
                return null;
            }
            if (failure().isPresent()) {
                writer.close();
                return null;
            }
            writer.finish();
            return writer;
        }

        synchronized void discard() {
            if (writer != null) {
                writer.close();
            }
        }
    }

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        long frames = StreamRun.checkSeconds(cl, secondsToRecord);
        if (rate < 0 || (rate == 0 && cl.getParseResult().hasMatchedOption("--rate"))) {
            throw new ParameterException(cl, "--rate must be positive, was " + rate);
        }
        StreamRun.Files2.checkOutputFile(cl, "FILE.wav", file);
        streaming.validate(
                cl, new StreamRun.NamedFile("FILE.wav", file), new StreamRun.NamedFile(replay.label, replay.capture));
        boolean real = root.backend == UsbdTool.Backend.libusb;
        replay.validate(cl, real);
        Recorder d = new Recorder(file, frames);
        d.rate(rate);
        Target target = replay.active()
                ? replay.target(cl, device, d)
                : Target.choose(
                        cl,
                        real,
                        device,
                        d,
                        "UAC1 microphone",
                        u -> Target.hasIso(u, Uac1Descriptors::isAudioStreaming, true));
        PrintWriter out = cl.getOut();
        try (StreamRun run = new StreamRun(cl, streaming)) {
            try {
                if (!run.open(
                        target,
                        d,
                        "Uac1Microphone",
                        Uac1MicrophoneDriver.settings(),
                        null,
                        0,
                        "usbd record " + file.getFileName() + " from " + target.title())) {
                    out.println("interrupted while waiting for the device; nothing was recorded, " + file
                            + " is as it was");
                    return ExitCode.INTERRUPTED.code();
                }
                out.printf(
                        Locale.ROOT,
                        "recording %s from %s: %s at %d Hz%n",
                        file,
                        target.title(),
                        d.format().orElseThrow().describe(),
                        d.sampleRate());
                out.flush();
                long busFrames = run.runToEnd(d, frames + 10_000, frames);
                Tally tally = new Tally();
                long due =
                        frames * (d.streams().isEmpty() ? 1 : d.streams().get(0).entriesPerFrame());
                tally.streams(d, due, run.interrupted());
                WavWriter w = null;
                boolean writeFailed =
                        d.failure().filter(t -> t instanceof IOException).isPresent();
                try {
                    w = d.finishFile();
                } catch (IOException e) {
                    writeFailed = true;
                    tally.io("cannot write " + file + ": " + StreamRun.Files2.reason(e));
                }
                if (w != null) {
                    out.printf(
                            Locale.ROOT,
                            "recorded %s: %d samples, %d Hz, %d ch, %d bit from %s in %s of bus time (%s wall)%n",
                            file,
                            w.sampleFrames(),
                            d.sampleRate(),
                            d.format().orElseThrow().channels(),
                            d.format().orElseThrow().subframeBytes() * 8,
                            target.id(),
                            UsbdTool.seconds(busFrames),
                            run.wall());
                } else if (writeFailed) {
                    out.println(
                            "the recording could not be written (the result line says why); " + file + " is as it was");
                } else {
                    out.println("nothing was recorded; " + file + " is as it was");
                }
                if (replay.active()) {
                    replay.report(out, target.model());
                }
                return run.finish(d, tally);
            } finally {
                d.discard();
            }
        }
    }
}
