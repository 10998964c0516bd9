package io.github.usbd4j.samples.audio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.Uac1Speaker;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The UAC1 speaker and microphone drivers against the simulated devices, in virtual time. */
class AudioDriversTest {

    static WavFile stereoRamp(int rate, int sampleFrames) {
        byte[] pcm = new byte[sampleFrames * 4];
        for (int i = 0; i < sampleFrames * 2; i++) {
            short s = (short) (i * 3);
            pcm[2 * i] = (byte) s;
            pcm[2 * i + 1] = (byte) (s >> 8);
        }
        return new WavFile(rate, 2, 16, pcm);
    }

    @Test
    void speakerPlaysA44k1FileWithNineFramesOf44AndOneOf45Samples(@TempDir Path dir) throws Exception {
        WavFile wav = stereoRamp(44_100, 44_100 / 2 + 7);
        Path file = dir.resolve("ramp.wav");
        wav.write(file);
        Uac1SpeakerDriver d = new Uac1SpeakerDriver(WavFile.read(file));
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            bus.register("Speaker", Uac1SpeakerDriver.settings(), d);
            Uac1Speaker speaker = new Uac1Speaker();
            bus.attach(speaker);
            assertThat(bus.runUntil(d::isFinished, 2_000)).isTrue();

            assertThat(speaker.sampleRate()).isEqualTo(44_100);
            assertThat(speaker.recordedPcm()).isEqualTo(wav.pcm());
            List<Integer> lengths = new ArrayList<>();
            speaker.receivedPackets().forEach(p -> lengths.add(p.length()));
            assertThat(lengths.subList(0, 10)).containsExactly(176, 176, 176, 176, 176, 176, 176, 176, 176, 180);
            assertThat(lengths).hasSize((int) d.frames());
            assertThat(d.stats().frames()).isEqualTo(d.frames());
            assertThat(d.stats().bytes()).isEqualTo(wav.pcm().length);
            long first = speaker.receivedPackets().get(0).frame();
            assertThat(speaker.receivedPackets().get(lengths.size() - 1).frame())
                    .as("one packet per frame, no gaps")
                    .isEqualTo(first + lengths.size() - 1);
        }
    }

    @Test
    void speakerPlaysA48kFile() {
        WavFile wav = stereoRamp(48_000, 48_000);
        Uac1SpeakerDriver d = new Uac1SpeakerDriver(wav);
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            bus.register("Speaker", Uac1SpeakerDriver.settings(), d);
            Uac1Speaker speaker = new Uac1Speaker();
            bus.attach(speaker);
            assertThat(bus.runUntil(d::isFinished, 2_000)).isTrue();
            assertThat(speaker.recordedPcm()).isEqualTo(wav.pcm());
            assertThat(speaker.receivedPackets())
                    .allMatch(p -> p.length() == 192)
                    .hasSize(1000);
        }
    }

    @Test
    void microphoneRecordsEverySampleInOrderToAWavFile(@TempDir Path dir) throws Exception {
        List<Long> busFrames = new ArrayList<>();
        Uac1MicrophoneDriver d = new Uac1MicrophoneDriver(1_000) {
            @Override
            protected void onPcm(long index, long busFrame, ByteBuffer data, int usbError) {
                busFrames.add(busFrame);
                assertThat(data.remaining()).isEqualTo(96);
                byte[] expected = Uac1Microphone.expectedPacket(busFrame);
                byte[] got = new byte[96];
                data.duplicate().get(got);
                assertThat(got).as("frame %d", busFrame).isEqualTo(expected);
                super.onPcm(index, busFrame, data, usbError);
            }
        };
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            bus.register("Microphone", Uac1MicrophoneDriver.settings(), d);
            bus.attach(new Uac1Microphone());
            assertThat(bus.runUntil(d::isFinished, 2_000)).isTrue();
        }
        assertThat(busFrames).hasSize(1_000);
        for (int i = 1; i < busFrames.size(); i++) {
            assertThat(busFrames.get(i)).isEqualTo(busFrames.get(i - 1) + 1);
        }
        Path file = dir.resolve("mic.wav");
        d.toWav().write(file);
        WavFile back = WavFile.read(file);
        assertThat(back.sampleRate()).isEqualTo(48_000);
        assertThat(back.channels()).isEqualTo(1);
        assertThat(back.sampleFrames()).isEqualTo(48_000);
        ByteBuffer pcm = ByteBuffer.wrap(back.pcm()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThat(pcm.getShort(0)).isEqualTo(Uac1Microphone.expectedSample(busFrames.get(0), 0));
        assertThat(pcm.getShort(2 * 47_999)).isEqualTo(Uac1Microphone.expectedSample(busFrames.get(999), 47));
    }

    @Test
    void theSpeakerDriverRefusesTheMicrophoneAndTheMicrophoneDriverTheSpeaker() {
        Uac1SpeakerDriver speakerDriver = new Uac1SpeakerDriver(stereoRamp(48_000, 480));
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 1)) {
            bus.register("Speaker", Uac1SpeakerDriver.settings(), speakerDriver);
            bus.attach(new Uac1Microphone());
            bus.run(10);
            assertThat(speakerDriver.isAttached()).isFalse();
            assertThat(bus.usbd().driversOf(bus.usbd().devices().get(0))).isEmpty();
        }
    }

    @Test
    void wavParserRejectsNonPcm() {
        byte[] b = stereoRamp(8_000, 10).toBytes();
        b[20] = 3; // IEEE float
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WavFile.parse(b))
                .hasMessageContaining("not PCM");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WavFile.parse(new byte[10]))
                .hasMessageContaining("RIFF");
    }
}
