package io.github.usbd4j.sim;

import java.util.Arrays;

/**
 * A {@link DeviceModel}'s answer to a control request: acknowledge (with data for an IN request) or
 * stall.
 */
public final class ControlResponse {
    private static final byte[] NO_DATA = new byte[0];
    private static final ControlResponse ACK = new ControlResponse(false, NO_DATA);
    private static final ControlResponse STALL = new ControlResponse(true, NO_DATA);

    private final boolean stall;
    private final byte[] data;

    private ControlResponse(boolean stall, byte[] data) {
        this.stall = stall;
        this.data = data;
    }

    /** Accepts the request; an IN request then returns no data. */
    public static ControlResponse ack() {
        return ACK;
    }

    /**
     * Accepts an IN request and returns {@code data}; the host receives at most {@code wLength} bytes.
     *
     * @param data the data stage (copied)
     * @return the response
     */
    public static ControlResponse data(byte... data) {
        return new ControlResponse(false, data.clone());
    }

    /** Refuses the request: the transfer completes with {@code STALL}. */
    public static ControlResponse stall() {
        return STALL;
    }

    /** {@code true} when the request is refused. */
    public boolean isStall() {
        return stall;
    }

    /** The IN data stage (a copy). */
    public byte[] data() {
        return data.clone();
    }

    int dataLength() {
        return data.length;
    }

    byte[] rawData() {
        return data;
    }

    @Override
    public String toString() {
        return stall ? "STALL" : "ACK" + (data.length == 0 ? "" : Arrays.toString(data));
    }
}
