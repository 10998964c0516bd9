package io.github.usbd4j.samples.audio;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;

/**
 * Sets a UAC1 feature unit's volume and clears its mute (UAC1 §5.2.2.4.3.1, .2): {@code GET_MIN} and
 * {@code GET_MAX} of the volume control bound the request, {@code SET_CUR} sets every channel that has
 * the control (the master channel 0 included), {@code GET_CUR} reads the result back. Volumes are signed
 * 16-bit values in 1/256 dB.
 */
public final class Uac1Volume {
    private static final int SET_CUR = 0x01;
    private static final int GET_CUR = 0x81;
    private static final int GET_MIN = 0x82;
    private static final int GET_MAX = 0x83;

    private Uac1Volume() {}

    /**
     * What {@link #set} did.
     *
     * @param unitId the feature unit
     * @param channels the channels whose volume was set
     * @param requested the value asked for, 1/256 dB
     * @param readBack the value {@code GET_CUR} returned on the first of them
     * @param min the device's {@code GET_MIN}
     * @param max the device's {@code GET_MAX}
     * @param unmuted whether a mute control was cleared
     */
    public record Result(
            int unitId, List<Integer> channels, int requested, int readBack, int min, int max, boolean unmuted) {
        /** Copies the list. */
        public Result {
            channels = List.copyOf(channels);
        }

        /** {@code "volume +8.00 dB on channels 1, 2 of feature unit 2 (range -127.99..+8.00 dB), unmuted"}. */
        public String describe() {
            return String.format(
                    Locale.ROOT,
                    "volume %s on channel%s %s of feature unit %d (range %s..%s)%s",
                    decibels(readBack),
                    channels.size() == 1 ? "" : "s",
                    String.join(", ", channels.stream().map(String::valueOf).toList()),
                    unitId,
                    decibels(min),
                    decibels(max),
                    unmuted ? ", unmuted" : "");
        }
    }

    /** Why {@link #set} could not set the volume, in the user's terms. */
    public static final class VolumeException extends Exception {
        private static final long serialVersionUID = 1L;

        private final boolean outOfRange;

        VolumeException(String message, boolean outOfRange) {
            super(message);
            this.outOfRange = outOfRange;
        }

        /** Whether the value asked for is outside the device's range (rather than the device failing). */
        public boolean isOutOfRange() {
            return outOfRange;
        }
    }

    /**
     * {@code dB} in the control's 1/256 dB units, rounded; a value beyond {@code int} (or infinite) saturates, so
     * that it stays beyond every range rather than wrapping into one.
     */
    public static int toUnits(double dB) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round(dB * 256)));
    }

    /** {@code "+8.00 dB"}, {@code "-inf dB"} for 0x8000. */
    public static String decibels(int units) {
        return units == Short.MIN_VALUE ? "-inf dB" : String.format(Locale.ROOT, "%+.2f dB", units / 256.0);
    }

    /**
     * Sets the volume of every channel of a feature unit that has a volume control, and clears the mute
     * of every channel that has one.
     *
     * @param funcs the function table
     * @param device the device
     * @param audioControlInterface the AudioControl interface's number
     * @param unit the feature unit
     * @param dB the volume
     * @return what was set
     * @throws VolumeException if the unit has no volume control, the value is out of the device's range,
     *     or a request failed
     */
    public static Result set(
            UsbFuncs funcs, UsbHandle device, int audioControlInterface, Uac1Descriptors.Entity unit, double dB)
            throws VolumeException {
        List<Integer> channels = unit.channelsWith(Uac1Descriptors.VOLUME);
        if (channels.isEmpty()) {
            throw new VolumeException("feature unit " + unit.id() + " has no volume control", false);
        }
        int wIndex = unit.id() << 8 | audioControlInterface;
        int first = channels.get(0);
        int min = get(funcs, device, GET_MIN, wIndex, first, "GET_MIN");
        int max = get(funcs, device, GET_MAX, wIndex, first, "GET_MAX");
        int value = toUnits(dB);
        if (value < Short.MIN_VALUE + 1 || value > Short.MAX_VALUE || value < min || value > max) {
            throw new VolumeException(
                    String.format(
                            Locale.ROOT,
                            "%s is outside the device's volume range %s..%s",
                            Math.abs(dB) < 1e6 ? String.format(Locale.ROOT, "%+.2f dB", dB) : dB + " dB",
                            decibels(min),
                            decibels(max)),
                    true);
        }
        for (int ch : channels) {
            ByteBuffer v = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) value);
            request(funcs, device, new UsbDeviceRequest(0x21, SET_CUR, 0x0200 | ch, wIndex, 2), v, "SET_CUR volume");
        }
        List<Integer> muted = unit.channelsWith(Uac1Descriptors.MUTE);
        for (int ch : muted) {
            ByteBuffer off = ByteBuffer.wrap(new byte[] {0});
            request(funcs, device, new UsbDeviceRequest(0x21, SET_CUR, 0x0100 | ch, wIndex, 1), off, "SET_CUR mute");
        }
        int readBack = get(funcs, device, GET_CUR, wIndex, first, "GET_CUR");
        return new Result(unit.id(), channels, value, readBack, min, max, !muted.isEmpty());
    }

    private static int get(UsbFuncs funcs, UsbHandle device, int request, int wIndex, int ch, String what)
            throws VolumeException {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        request(funcs, device, new UsbDeviceRequest(0xA1, request, 0x0200 | ch, wIndex, 2), b, what + " volume");
        return b.getShort(0);
    }

    private static void request(UsbFuncs funcs, UsbHandle device, UsbDeviceRequest r, ByteBuffer data, String what)
            throws VolumeException {
        int n = ControlRequests.issue(funcs, device, r, data);
        if (n < r.wLength()) {
            throw new VolumeException(
                    String.format(
                            Locale.ROOT,
                            "%s (channel %d of unit %d) failed: the device %s",
                            what,
                            r.wValue() & 0xFF,
                            r.wIndex() >>> 8,
                            n < 0 ? "stalled or did not answer" : "answered " + n + " of " + r.wLength() + " bytes"),
                    false);
        }
    }
}
