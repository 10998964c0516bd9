package io.github.usbd4j.samples.audio;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Records from a USB Audio 1.0 microphone: an audio-streaming interface whose alternate setting has an
 * isochronous IN endpoint (the usbd4j simulated microphone is 1209:0003, 48 kHz 16-bit mono). Every
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

    private final int sampleRate;
    private final int channels;
    private final long frames;
    private final ByteArrayOutputStream pcm = new ByteArrayOutputStream();

    /**
     * @param sampleRate the device's rate (48000 for the simulated microphone)
     * @param channels the device's channels (1)
     * @param frames 1 ms frames to record
     */
    public Uac1MicrophoneDriver(int sampleRate, int channels, long frames) {
        this.sampleRate = sampleRate;
        this.channels = channels;
        this.frames = frames;
    }

    /** The simulated microphone's format, for {@code seconds} seconds. */
    public static Uac1MicrophoneDriver forSeconds(double seconds) {
        return new Uac1MicrophoneDriver(48_000, 1, Math.round(seconds * 1000));
    }

    /**
     * A frame's samples arrived (in stream order). Default: append them to the recording.
     *
     * @param index the frame's stream index
     * @param busFrame the bus frame
     * @param data little-endian 16-bit samples
     * @param usbError the frame's {@code USB_ERROR}
     */
    protected void onPcm(long index, long busFrame, ByteBuffer data, int usbError) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        synchronized (pcm) {
            pcm.write(b, 0, b.length);
        }
    }

    /** The recording so far as a WAV file. */
    public WavFile toWav() {
        synchronized (pcm) {
            return new WavFile(sampleRate, channels, 16, pcm.toByteArray());
        }
    }

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
                if (e.descriptor().isIsochronous() && e.descriptor().isIn()) {
                    return i;
                }
            }
        }
        return null;
    }

    @Override
    protected long frameLimit(IsochStream stream) {
        return frames;
    }

    @Override
    protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
        onPcm(index, busFrame, data, usbError);
    }
}
