package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.audio.Uac1SpeakerDriver;
import io.github.usbd4j.samples.audio.WavFile;
import io.github.usbd4j.samples.iso.GenericStreamDriver;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.uvc.UvcCameraDriver;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.Uac1Speaker;
import io.github.usbd4j.sim.UvcCamera;
import io.github.usbd4j.win32.Win32;
import org.junit.jupiter.api.Test;

/**
 * The loss rule: failed packets and packets due and never run count, a departure is an I/O error, an
 * interruption is not a loss.
 */
class TallyTest {

    private static GenericStreamDriver microphone(long frames) {
        return new GenericStreamDriver(
                new GenericStreamDriver.Spec(1, 1, 0x81, 0, frames, 0, 4, -1, false), null, null);
    }

    @Test
    void aDeviceThatLeavesMidStreamIsAnIoErrorAndThePacketsItOwedAreLost() {
        GenericStreamDriver d = microphone(1000);
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 0)) {
            bus.register("Mic", UsbDriverSettings.forVendor(0x1209, 0x0003), d);
            SimulatedDevice mic = bus.attach(new Uac1Microphone());
            bus.run(300);
            bus.detach(mic);
            assertThat(bus.runUntil(d::isFinished, 100)).isTrue();
        }
        Tally t = new Tally().streams(d, 1000, false);
        long ran = d.stats().frames();
        assertThat(ran).isBetween(250L, 320L);
        assertThat(t.lostCount()).isEqualTo(1000 - ran);
        assertThat(t.exitCode(1000)).as("an I/O problem, whatever --max-errors").isEqualTo(ExitCode.IO_ERROR);
        assertThat(t.resultLine(0, false))
                .startsWith("result: the device left mid-stream; " + (1000 - ran) + " of 1000 packets lost (never ran ")
                .endsWith(": exit 4 (io error)");
    }

    /**
     * USBD cancels a departing device's transfers before it sends {@code USB_CLOSE_DEVICE} (ce-usbd.html#s1-5):
     * the stream must not finish on the last cancelled callback, where the tool would tally a departure as an
     * ordinary end (on a real device the tool's thread got there first: exit 5, "packets lost", not exit 4).
     * By the time {@code finished()} completes, the driver knows the device left.
     */
    @Test
    void aDeviceThatLeaves_isGoneByTheTimeTheStreamFinishes() {
        GenericStreamDriver d = microphone(1000);
        java.util.concurrent.atomic.AtomicReference<Boolean> goneAtFinish =
                new java.util.concurrent.atomic.AtomicReference<>();
        var unused = d.finished().thenRun(() -> goneAtFinish.set(d.isDeviceGone()));
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 0)) {
            bus.register("Mic", UsbDriverSettings.forVendor(0x1209, 0x0003), d);
            SimulatedDevice mic = bus.attach(new Uac1Microphone());
            bus.run(300);
            bus.detach(mic);
            assertThat(bus.runUntil(d::isFinished, 100)).isTrue();
        }
        assertThat(goneAtFinish.get())
                .as("isDeviceGone() when finished() completed")
                .isTrue();
        assertThat(new Tally().streams(d, 1000, false).exitCode(1000)).isEqualTo(ExitCode.IO_ERROR);
    }

    /**
     * The device leaves while a completion is in the driver's hands (the detach runs from a frame callback, as
     * a real unplug races a completing transfer): the callback's next {@code IssueIsochTransfer} fails
     * {@code ERROR_INVALID_HANDLE} (flags-errors.html: a transfer call on a device that left). That refusal is
     * the departure, not an I/O problem of its own, and for a stream with no set length (the camera) the
     * refused transfer's packets and the cancelled ones are owed: counted among the packets and lost.
     */
    @Test
    void aDepartureRacingACompletion_isOneProblem_andAnOpenEndedStreamCountsWhatItOwed() {
        UvcCameraDriver d = new UvcCameraDriver(1000);
        java.util.concurrent.atomic.AtomicReference<Runnable> unplug =
                new java.util.concurrent.atomic.AtomicReference<>();
        d.addFrameListener((s, index, busFrame, length, err) -> {
            if (index == 300) {
                unplug.get().run();
            }
        });
        try (SimBus bus = new SimBus(UsbSpeed.HIGH, 0)) {
            bus.register("Cam", UvcCameraDriver.settings(), d);
            SimulatedDevice camera = bus.attach(new UvcCamera());
            unplug.set(() -> bus.detach(camera));
            assertThat(bus.runUntil(d::isFinished, 5000)).isTrue();
        }
        IsochStream s = d.streams().get(0);
        assertThat(d.isDeviceGone()).isTrue();
        assertThat(s.issueErrors()).as("the race happened").containsKey(Win32.ERROR_INVALID_HANDLE);
        long owed = s.stats().canceled() + s.framesRefused();
        assertThat(s.framesRefused()).isPositive();
        Tally t = new Tally().streams(d, -1, false);
        assertThat(t.resultLine(0, false))
                .isEqualTo("result: the device left mid-stream; " + owed + " of "
                        + (s.stats().frames() + owed) + " packets lost (never ran " + owed + "): exit 4 (io error)");
        java.io.StringWriter summary = new java.io.StringWriter();
        StreamRun.printSummary(new java.io.PrintWriter(summary, true), d);
        assertThat(summary.toString())
                .contains("IssueIsochTransfer refused: ERROR_INVALID_HANDLE (6), the device had left");
    }

    /** A refusal that is not the departure's stays an I/O problem of its own. */
    @Test
    void aRefusalWithTheDeviceStillThere_staysAProblem() {
        GenericStreamDriver d = microphone(1000);
        assertThat(Tally.departure(d, Win32.ERROR_INVALID_HANDLE)).isFalse();
    }

    @Test
    void packetsAUserInterruptionCutShortAreNotLost() {
        GenericStreamDriver d = microphone(1000);
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 0)) {
            bus.register("Mic", UsbDriverSettings.forVendor(0x1209, 0x0003), d);
            bus.attach(new Uac1Microphone());
            bus.run(300);
            d.stop();
        }
        Tally t = new Tally().streams(d, 1000, true);
        assertThat(t.lostCount()).isZero();
        assertThat(t.packets()).isEqualTo(d.stats().frames());
        assertThat(t.resultLine(0, true))
                .isEqualTo("result: stopped by a signal; " + t.packets() + " packets, none lost");
        Tally notInterrupted = new Tally().streams(d, 1000, false);
        assertThat(notInterrupted.lostCount())
                .as("the same stop without a signal: owed packets")
                .isPositive();
        assertThat(notInterrupted.exitCode(0)).isEqualTo(ExitCode.PACKETS_LOST);
    }

    @Test
    void aRunCutShortByItsBoundIsAnIoErrorWithItsOwedPacketsLost() {
        java.io.StringWriter text = new java.io.StringWriter();
        picocli.CommandLine cl = UsbdTool.commandLine();
        cl.setOut(new java.io.PrintWriter(text, true));
        GenericStreamDriver d = microphone(1000);
        Target mic = new Target(0x1209, 0x0003, new Uac1Microphone(), null, null);
        int exit;
        try (StreamRun run = new StreamRun(cl, new StreamRun.Options())) {
            assertThat(run.open(mic, d, "Mic", UsbDriverSettings.forVendor(0x1209, 0x0003), null, 0, "t"))
                    .isTrue();
            long frames = run.runToEnd(d, 200, 1000);
            assertThat(frames).as("the bound, and the stop").isBetween(200L, 210L);
            exit = run.finish(d, new Tally().streams(d, 1000, run.interrupted()));
        }
        assertThat(exit).isEqualTo(4);
        assertThat(text.toString())
                .containsPattern("result: the stream did not end within 0.200 s of bus time; \\d+ of 1000 packets lost"
                        + " \\(never ran \\d+\\): exit 4 \\(io error\\)");
    }

    @Test
    void aPlayThatLostPacketsIsNotExitZeroUnlessAllowed_andTheResultLineCountsThem() throws Exception {
        byte[] pcm = new byte[44_100 * 4]; // one second: 1000 packets
        WavFile wav = new WavFile(44_100, 2, 16, pcm);
        FaultPlan threeLost = FaultPlan.builder()
                .faultAt(300, 0x01, PacketStatus.CRC)
                .faultAt(400, 0x01, PacketStatus.CRC)
                .faultAt(500, 0x01, PacketStatus.CRC)
                .build();
        for (long maxErrors : new long[] {0, 3}) {
            java.io.StringWriter text = new java.io.StringWriter();
            picocli.CommandLine cl = UsbdTool.commandLine();
            cl.setOut(new java.io.PrintWriter(text, true));
            StreamRun.Options options = new StreamRun.Options();
            options.maxErrors = maxErrors;
            Uac1SpeakerDriver d = new Uac1SpeakerDriver(wav);
            Target speaker = new Target(0x1209, 0x0002, new Uac1Speaker(), null, null);
            int exit;
            try (StreamRun run = new StreamRun(cl, options)) {
                assertThat(run.open(speaker, d, "Spk", Uac1SpeakerDriver.settings(), threeLost, 0, "t"))
                        .isTrue();
                run.runToEnd(d, d.frames() + 10_000, d.frames());
                exit = run.finish(d, new Tally().streams(d, d.frames(), run.interrupted()));
            }
            assertThat(text.toString()).contains("result: 3 of 1000 packets lost (USB_CRC_ERROR 3)");
            assertThat(exit).as(text.toString()).isEqualTo(maxErrors == 0 ? 5 : 0);
        }
    }
}
