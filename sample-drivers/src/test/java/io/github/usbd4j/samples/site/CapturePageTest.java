package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.samples.audio.Uac1MicrophoneDriver;
import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code of the site page "Capture and replay" ({@code src-site/markdown/capture.md}): a run captured with
 * a {@code CaptureTap}, and a port tested against the captured device replayed. The page must show exactly
 * the code between the snippet markers.
 */
class CapturePageTest {
    @TempDir
    Path dir;

    /** Records one second from the simulated microphone while capturing; returns the PCM. */
    private byte[] captureMicrophone(Path capture) throws IOException {
        SimulatedHostController sim =
                SimulatedHostController.builder().speed(UsbSpeed.FULL).build();
        Uac1MicrophoneDriver driver = Uac1MicrophoneDriver.forSeconds(1);
        // snippet:capture
        try (Usbd usbd = Usbd.builder()
                .backend(sim)
                .capture(CaptureTap.toFile(capture)) // every transfer, as usbmon records, for Wireshark
                .build()) {
            usbd.registerDriver("Microphone", Uac1MicrophoneDriver.settings(), driver);
            sim.attach(new Uac1Microphone());
            sim.runUntil(driver::isFinished, 5_000);
        } // closing the runtime completes the file
        // snippet:end
        return driver.toWav().pcm();
    }

    @Test
    void aPortRunsAgainstTheReplayedDevice() throws IOException {
        Path capture = dir.resolve("microphone.pcapng");
        byte[] expectedPcm = captureMicrophone(capture);
        // snippet:replay
        SimulatedHostController sim =
                SimulatedHostController.builder().speed(UsbSpeed.FULL).build();
        ReplayDevice microphone = ReplayDevice.fromCapture(capture); // e.g. src/test/resources/microphone.pcapng
        try (Usbd usbd = Usbd.builder().backend(sim).build()) {
            Uac1MicrophoneDriver driver = Uac1MicrophoneDriver.forSeconds(1); // the port under test
            usbd.registerDriver("Microphone", Uac1MicrophoneDriver.settings(), driver);
            sim.attach(microphone);
            sim.runUntil(driver::isFinished, 5_000); // virtual time: as fast as the CPU

            assertThat(driver.stats().frames()).isEqualTo(1000);
            assertThat(driver.toWav().pcm()).isEqualTo(expectedPcm); // what the device sent, sample for sample
            assertThat(microphone.unansweredRequests()).isEmpty(); // no request the capture cannot answer
        }
        // snippet:end
    }

    @Test
    void thePageShowsThisCode() throws IOException {
        String page = Files.readString(Path.of("../src-site/markdown/capture.md"), StandardCharsets.UTF_8);
        String source = Files.readString(
                Path.of("src/test/java/io/github/usbd4j/samples/site/CapturePageTest.java"), StandardCharsets.UTF_8);
        for (String name : List.of("capture", "replay")) {
            assertThat(page).as("snippet %s", name).contains(SimulatedDeviceExampleTest.snippet(source, name));
        }
    }
}
