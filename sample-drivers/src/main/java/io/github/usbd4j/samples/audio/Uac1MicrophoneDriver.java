package io.github.usbd4j.samples.audio;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Records from a USB Audio 1.0 microphone: the audio-streaming alternate setting with an isochronous IN
 * endpoint and a PCM Type I format (the usbd4j simulated microphone is 1209:0003, 48 kHz 16-bit mono).
 * The format (channels, sample size, rate) comes from the device's descriptors; when it offers several
 * rates the driver picks {@link #rate(int) the one asked for}, else 48 kHz if offered, else the highest,
 * and sets it with {@code SET_CUR SAMPLING_FREQ_CONTROL} when the endpoint has that control. Every
 * frame's samples are appended in order; frames with an error still contribute the data they carried.
 * {@link #toWav()} gives the recording.
 *
 * <p>Hooks: {@link #onPcm}, plus those of {@link IsochStreamingDriver}.
 */
public class Uac1MicrophoneDriver extends IsochStreamingDriver {
    /** Registered for any audio-streaming interface; it accepts only one with an iso IN endpoint. */
    public static UsbDriverSettings settings() {
        return UsbDriverSettings.forInterfaceClass(1, 2, UsbTypes.USB_NO_INFO);
    }

    private final long frames;
    private volatile int wantedRate;
    private volatile Uac1Descriptors.Format format;
    private volatile int sampleRate;
    private final ByteArrayOutputStream pcm = new ByteArrayOutputStream();

    /** @param frames 1 ms frames to record (at high speed, each frame's service intervals) */
    public Uac1MicrophoneDriver(long frames) {
        this.frames = frames;
    }

    /** A driver for {@code seconds} seconds. */
    public static Uac1MicrophoneDriver forSeconds(double seconds) {
        return new Uac1MicrophoneDriver(Math.round(seconds * 1000));
    }

    /**
     * The sampling frequency to record at, when the device offers several.
     *
     * @param hz the rate; 0 for the default
     * @return this
     */
    public Uac1MicrophoneDriver rate(int hz) {
        this.wantedRate = hz;
        return this;
    }

    /** The device's format, once an alternate setting was chosen. */
    public java.util.Optional<Uac1Descriptors.Format> format() {
        return java.util.Optional.ofNullable(format);
    }

    /** The rate recorded at, once an alternate setting was chosen (0 before). */
    public int sampleRate() {
        return sampleRate;
    }

    /**
     * A frame's samples arrived (in stream order). Default: append them to the recording.
     *
     * @param index the frame's stream index
     * @param busFrame the bus frame
     * @param data little-endian samples, {@code format().blockAlign()} bytes per sample frame
     * @param usbError the frame's {@code USB_ERROR}
     */
    protected void onPcm(long index, long busFrame, ByteBuffer data, int usbError) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        synchronized (pcm) {
            pcm.write(b, 0, b.length);
        }
    }

    /**
     * The recording so far as a WAV file.
     *
     * @throws IllegalStateException before a device was attached
     */
    public WavFile toWav() {
        Uac1Descriptors.Format f = format;
        if (f == null) {
            throw new IllegalStateException("no device attached yet");
        }
        synchronized (pcm) {
            return new WavFile(sampleRate, f.channels(), f.subframeBytes() * 8, pcm.toByteArray());
        }
    }

    private static UsbEndpoint isoIn(UsbInterface i) {
        for (UsbEndpoint e : i.endpoints()) {
            if (e.descriptor().isIsochronous() && e.descriptor().isIn()) {
                return e;
            }
        }
        return null;
    }

    private UsbInterface recordingAlternate(UsbDevice device, UsbInterface offered) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            boolean sameInterface = offered == null
                    || i.descriptor().bInterfaceNumber() == offered.descriptor().bInterfaceNumber();
            if (sameInterface && Uac1Descriptors.isAudioStreaming(i) && isoIn(i) != null) {
                var f = Uac1Descriptors.format(i);
                if (f.isPresent()
                        && f.get().formatTag() == 1
                        && (wantedRate == 0 || f.get().supports(wantedRate))) {
                    return i;
                }
            }
        }
        return null;
    }

    /** Refuses a device without an audio-streaming IN alternate setting in PCM (at the rate asked for). */
    @Override
    public String problemWith(UsbDevice device, UsbSpeed speed) {
        if (recordingAlternate(device, null) != null) {
            return null;
        }
        java.util.List<String> offered = new java.util.ArrayList<>();
        for (UsbInterface i : device.activeConfig().interfaces()) {
            if (Uac1Descriptors.isAudioStreaming(i) && isoIn(i) != null) {
                Uac1Descriptors.format(i).ifPresent(f -> offered.add(f.describe()));
            }
        }
        return offered.isEmpty()
                ? "it has no UAC1 audio-streaming IN interface"
                : "it records " + String.join("; ", offered)
                        + (wantedRate == 0 ? ", no PCM" : ", not PCM at " + wantedRate + " Hz");
    }

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        UsbInterface alt = recordingAlternate(device, offered);
        if (alt != null) {
            Uac1Descriptors.Format f = Uac1Descriptors.format(alt).orElseThrow();
            int rate = wantedRate != 0 ? wantedRate : f.supports(48_000) ? 48_000 : f.maxRate();
            this.format = f;
            this.sampleRate = rate;
        }
        return alt;
    }

    /** Only the data endpoint. */
    @Override
    protected java.util.List<UsbEndpoint> selectEndpoints(UsbInterface alt) {
        return java.util.List.of(isoIn(alt));
    }

    /** Sets the rate when the device offers more than one and the endpoint has the control. */
    @Override
    protected boolean configureDevice(UsbFuncs usbFuncs, UsbHandle device, UsbInterface alt) {
        UsbEndpoint ep = isoIn(alt);
        Uac1Descriptors.Format f = format;
        boolean choice = f.rates().size() != 1;
        if (choice && Uac1Descriptors.hasSamplingFrequencyControl(ep)) {
            int rate = sampleRate;
            ByteBuffer freq = ByteBuffer.wrap(new byte[] {(byte) rate, (byte) (rate >>> 8), (byte) (rate >>> 16)});
            int endpoint = ep.descriptor().bEndpointAddress();
            // SET_CUR, SAMPLING_FREQ_CONTROL, to the endpoint (UAC1 §5.2.3.2.3.1)
            if (ControlRequests.issue(usbFuncs, device, new UsbDeviceRequest(0x22, 0x01, 0x0100, endpoint, 3), freq)
                    < 0) {
                refuse("SET_CUR sampling frequency " + rate + " Hz failed");
                return false;
            }
        }
        return true;
    }

    /** The recording's length: 1 ms frames, as entries of the stream's length arrays (8 per frame at high speed every microframe). */
    @Override
    protected long frameLimit(IsochStream stream) {
        return frames * stream.entriesPerFrame();
    }

    @Override
    protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
        onPcm(index, busFrame, data, usbError);
    }
}
