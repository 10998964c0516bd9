package io.github.usbd4j.samples.audio;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.samples.iso.FrameLengths;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.nio.ByteBuffer;

/**
 * Plays 16-bit stereo PCM to a USB Audio 1.0 speaker: an audio-streaming interface whose alternate
 * setting has an isochronous OUT endpoint (the usbd4j simulated speaker is 1209:0002, 48 kHz).
 *
 * <p>It sets the endpoint's sampling frequency (UAC1 {@code SET_CUR SAMPLING_FREQ_CONTROL}) to the
 * file's rate, then sends each 1 ms frame exactly the samples due in it: at 44.1 kHz nine frames of 44
 * samples and one of 45 ({@link FrameLengths}). The stream ends after the last sample.
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

    /**
     * @param wav 16-bit stereo PCM, at most 48 kHz
     * @throws IllegalArgumentException for another format
     */
    public Uac1SpeakerDriver(WavFile wav) {
        if (wav.bitsPerSample() != 16 || wav.channels() != 2 || wav.sampleRate() > 48_000) {
            throw new IllegalArgumentException("the speaker plays 16-bit stereo PCM up to 48 kHz; the file is "
                    + wav.bitsPerSample() + "-bit, " + wav.channels() + " channel(s), " + wav.sampleRate() + " Hz");
        }
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

    /** Samples (per channel) sent in stream frame {@code n}. Default: {@link FrameLengths}. */
    protected int samplesInFrame(long n) {
        return lengths.samplesInFrame(n);
    }

    /** One frame went out (or failed). Default: nothing. */
    protected void onFramePlayed(long n, long busFrame, int bytes, int usbError) {}

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            boolean sameInterface = offered == null
                    || i.descriptor().bInterfaceNumber() == offered.descriptor().bInterfaceNumber();
            if (!sameInterface
                    || i.descriptor().bInterfaceClass() != 1
                    || i.descriptor().bInterfaceSubClass() != 2) {
                continue;
            }
            for (UsbEndpoint e : i.endpoints()) {
                if (e.descriptor().isIsochronous() && !e.descriptor().isIn()) {
                    return i;
                }
            }
        }
        return null;
    }

    @Override
    protected boolean configureDevice(UsbFuncs usbFuncs, UsbHandle device, UsbInterface alt) {
        int endpoint = alt.endpoints().get(0).descriptor().bEndpointAddress();
        int rate = wav.sampleRate();
        ByteBuffer freq = ByteBuffer.wrap(new byte[] {(byte) rate, (byte) (rate >>> 8), (byte) (rate >>> 16)});
        // SET_CUR, SAMPLING_FREQ_CONTROL, to the endpoint (UAC1 §5.2.3.2.3.1); a device without it may stall
        ControlRequests.issue(usbFuncs, device, new UsbDeviceRequest(0x22, 0x01, 0x0100, endpoint, 3), freq);
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
