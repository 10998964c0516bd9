package io.github.usbd4j.samples.audio;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.samples.iso.FrameLengths;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.nio.ByteBuffer;

/**
 * Plays PCM to a USB Audio 1.0 speaker: the audio-streaming alternate setting with an isochronous OUT
 * endpoint whose Type I format has the file's channels, sample size and rate (the usbd4j simulated
 * speaker is 1209:0002, 16-bit stereo at 44.1 or 48 kHz).
 *
 * <p>It sets the endpoint's sampling frequency (UAC1 {@code SET_CUR SAMPLING_FREQ_CONTROL}) to the
 * file's rate when the endpoint has that control, optionally sets the volume of the feature unit between
 * the stream and the speaker and clears its mute ({@link #volume(double)}, {@link Uac1Volume}), then
 * sends each 1 ms frame exactly the samples due in it: at 44.1 kHz nine frames of 44 samples and one of
 * 45 ({@link FrameLengths}). The stream ends after the last sample.
 *
 * <p>Hooks: {@link #samplesInFrame(long)} and {@link #onFramePlayed}, plus those of
 * {@link IsochStreamingDriver}.
 */
public class Uac1SpeakerDriver extends IsochStreamingDriver {
    /** Registered for any audio-streaming interface; it accepts only one with an iso OUT endpoint. */
    public static UsbDriverSettings settings() {
        return UsbDriverSettings.forInterfaceClass(1, 2, UsbTypes.USB_NO_INFO);
    }

    private final WavFile wav;
    private final FrameLengths lengths;
    private final long frames;
    private volatile Double volumeDb;
    private volatile Uac1Volume.Result volumeResult;
    private volatile Uac1Volume.VolumeException volumeFailure;

    /**
     * @param wav the PCM to play; the device must have a format with its channels, sample size and rate
     */
    public Uac1SpeakerDriver(WavFile wav) {
        this.wav = wav;
        this.lengths = FrameLengths.perMillisecond(wav.sampleRate());
        long n = 0;
        while (lengths.dueBy(n) < wav.sampleFrames()) {
            n++;
        }
        this.frames = n;
    }

    /** The file being played. */
    public WavFile wav() {
        return wav;
    }

    /** 1 ms frames the file takes. */
    public long frames() {
        return frames;
    }

    /**
     * Sets the speaker's volume before playing (and clears its mute): the feature unit on the path from
     * the streaming terminal. Without a call the device's volume is left as it is.
     *
     * @param dB the volume in dB (for most devices 0 or less; QEMU's usb-audio goes up to +8)
     * @return this
     */
    public Uac1SpeakerDriver volume(double dB) {
        this.volumeDb = dB;
        return this;
    }

    /** What {@link #volume(double)} set, once the device is configured. */
    public java.util.Optional<Uac1Volume.Result> volumeResult() {
        return java.util.Optional.ofNullable(volumeResult);
    }

    /** Why {@link #volume(double)} could not be set, if it could not (the device was then refused). */
    public java.util.Optional<Uac1Volume.VolumeException> volumeFailure() {
        return java.util.Optional.ofNullable(volumeFailure);
    }

    /** Whether a format can play the file. */
    private boolean plays(Uac1Descriptors.Format f) {
        return f.formatTag() == 1
                && f.channels() == wav.channels()
                && f.subframeBytes() * 8 == wav.bitsPerSample()
                && f.supports(wav.sampleRate());
    }

    /** The alternate setting to play on: an AudioStreaming one with an iso OUT endpoint and the file's format. */
    private UsbInterface playingAlternate(UsbConfiguration config, UsbInterface offered) {
        for (UsbInterface i : config.interfaces()) {
            boolean sameInterface = offered == null
                    || i.descriptor().bInterfaceNumber() == offered.descriptor().bInterfaceNumber();
            if (sameInterface && Uac1Descriptors.isAudioStreaming(i) && isoOut(i) != null) {
                var f = Uac1Descriptors.format(i);
                if (f.isPresent() && plays(f.get())) {
                    return i;
                }
            }
        }
        return null;
    }

    private static UsbEndpoint isoOut(UsbInterface i) {
        for (UsbEndpoint e : i.endpoints()) {
            if (e.descriptor().isIsochronous() && !e.descriptor().isIn()) {
                return e;
            }
        }
        return null;
    }

    /**
     * Refuses a device without an audio-streaming OUT format for the file (naming the formats it has),
     * or, when a volume was asked for, without a volume control on that stream's path.
     */
    @Override
    public String problemWith(UsbDevice device, UsbSpeed speed) {
        UsbInterface alt = playingAlternate(device.activeConfig(), null);
        if (alt == null) {
            java.util.List<String> offered = new java.util.ArrayList<>();
            for (UsbInterface i : device.activeConfig().interfaces()) {
                if (Uac1Descriptors.isAudioStreaming(i) && isoOut(i) != null) {
                    Uac1Descriptors.format(i).ifPresent(f -> offered.add(f.describe()));
                }
            }
            String file = String.format(
                    java.util.Locale.ROOT,
                    "PCM, %d ch, %d bit, %d Hz",
                    wav.channels(),
                    wav.bitsPerSample(),
                    wav.sampleRate());
            return offered.isEmpty()
                    ? "it has no UAC1 audio-streaming OUT interface"
                    : "it plays " + String.join("; ", offered) + ", not the file's " + file;
        }
        int largest = (int) Math.ceil(wav.sampleRate() / 1000.0) * wav.blockAlign();
        int max = Endpoints.maxPacketPayload(isoOut(alt).descriptor(), speed);
        if (largest > max) {
            return "its endpoint takes " + max + " bytes per frame, the file needs " + largest;
        }
        if (volumeDb != null) {
            var ac = Uac1Descriptors.audioControl(device.activeConfig());
            var fu = ac.flatMap(i -> Uac1Descriptors.featureUnitFor(
                    Uac1Descriptors.entities(i), Uac1Descriptors.format(alt).orElseThrow()));
            if (fu.isEmpty() || fu.get().channelsWith(Uac1Descriptors.VOLUME).isEmpty()) {
                return "it has no volume control (no feature unit with a volume control on the stream's path)";
            }
        }
        return null;
    }

    /** Samples (per channel) sent in stream frame {@code n}. Default: {@link FrameLengths}. */
    protected int samplesInFrame(long n) {
        return lengths.samplesInFrame(n);
    }

    /** One frame went out (or failed). Default: nothing. */
    protected void onFramePlayed(long n, long busFrame, int bytes, int usbError) {}

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        UsbInterface alt = playingAlternate(device.activeConfig(), offered);
        if (alt != null) {
            this.config = device.activeConfig();
        }
        return alt;
    }

    private volatile UsbConfiguration config;

    /** The OUT data endpoint only: a feedback endpoint of an asynchronous speaker is not read. */
    @Override
    protected java.util.List<UsbEndpoint> selectEndpoints(UsbInterface alt) {
        return java.util.List.of(isoOut(alt));
    }

    @Override
    protected boolean configureDevice(UsbFuncs usbFuncs, UsbHandle device, UsbInterface alt) {
        UsbEndpoint ep = isoOut(alt);
        int rate = wav.sampleRate();
        if (Uac1Descriptors.hasSamplingFrequencyControl(ep)) {
            ByteBuffer freq = ByteBuffer.wrap(new byte[] {(byte) rate, (byte) (rate >>> 8), (byte) (rate >>> 16)});
            // SET_CUR, SAMPLING_FREQ_CONTROL, to the endpoint (UAC1 §5.2.3.2.3.1)
            int endpoint = ep.descriptor().bEndpointAddress();
            if (ControlRequests.issue(usbFuncs, device, new UsbDeviceRequest(0x22, 0x01, 0x0100, endpoint, 3), freq)
                    < 0) {
                refuse("SET_CUR sampling frequency " + rate + " Hz failed");
                return false;
            }
        }
        Double dB = volumeDb;
        if (dB != null) {
            var ac = Uac1Descriptors.audioControl(config);
            var fu = ac.flatMap(i -> Uac1Descriptors.featureUnitFor(
                    Uac1Descriptors.entities(i), Uac1Descriptors.format(alt).orElseThrow()));
            if (fu.isEmpty()) {
                refuse("it has no volume control on the stream's path");
                return false;
            }
            try {
                volumeResult =
                        Uac1Volume.set(usbFuncs, device, ac.get().descriptor().bInterfaceNumber(), fu.get(), dB);
            } catch (Uac1Volume.VolumeException e) {
                volumeFailure = e;
                refuse(e.getMessage());
                return false;
            }
        }
        return true;
    }

    @Override
    protected long frameLimit(IsochStream stream) {
        return frames;
    }

    @Override
    protected int frameLength(IsochStream stream, long index) {
        return Math.max(1, samplesInFrame(index) * wav.blockAlign());
    }

    @Override
    protected int fillOut(IsochStream stream, ByteBuffer data, int[] frameLengths, int count, long firstIndex) {
        byte[] pcm = wav.pcm();
        long offset = lengths.dueBy(firstIndex) * wav.blockAlign();
        int pos = 0;
        for (int k = 0; k < count; k++) {
            int n = (int) Math.min(frameLengths[k], pcm.length - offset);
            if (n <= 0) {
                return k;
            }
            frameLengths[k] = n;
            data.put(pos, pcm, (int) offset, n);
            offset += n;
            pos += n;
        }
        return count;
    }

    @Override
    protected void onOutFrame(IsochStream stream, long index, long busFrame, int length, int usbError) {
        onFramePlayed(index, busFrame, length, usbError);
    }
}
