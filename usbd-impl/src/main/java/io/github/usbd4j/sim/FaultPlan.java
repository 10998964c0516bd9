package io.github.usbd4j.sim;

import io.github.usbd4j.host.spi.PacketStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Faults to inject into one simulated device, deterministic for a given controller seed. Build one with
 * {@link #builder()} and pass it to {@link SimulatedHostController#attach(DeviceModel, FaultPlan)}.
 *
 * <p>What a faulted packet carries, as on real host controllers: an IN packet whose status says the
 * data arrived damaged ({@code CRC}, {@code BIT_STUFFING}, {@code DATA_TOGGLE_MISMATCH},
 * {@code PID_CHECK_FAILURE}, {@code UNEXPECTED_PID}, {@code DATA_OVERRUN}, {@code DATA_UNDERRUN}) still
 * has its bytes written and its length reported ({@code DATA_OVERRUN}: the requested length, the device
 * babbled). An IN packet whose status says nothing arrived ({@code NOT_ACCESSED},
 * {@code DEVICE_NOT_RESPONDING}, {@code BUFFER_OVERRUN}, {@code STALL}, ...) reports 0 bytes and the
 * device is not asked. A faulted OUT packet never reaches the device; it reports its full length, since
 * the host did send it. A faulted bulk or interrupt transfer ends with that status.
 *
 * <p>Frame-addressed faults apply to every packet of the endpoint in that frame (all eight microframes
 * at high speed). Probabilistic faults draw from the device's own {@link Random}, seeded from the
 * controller's seed and the order of attachment, once per packet in bus order: same seed, same
 * submissions, same faults. Every injected fault is recorded in {@link SimulatedDevice#injectedFaults()}.
 */
public final class FaultPlan {

    /** No faults. */
    public static final FaultPlan NONE = builder().build();

    private record At(long frame, int endpoint, PacketStatus status) {}

    private final double deviceRate;
    private final PacketStatus deviceRateStatus;
    private final double[] endpointRate = new double[32];
    private final PacketStatus[] endpointRateStatus = new PacketStatus[32];
    private final long[] faultFrames;
    private final int[] faultEndpoints;
    private final PacketStatus[] faultStatus;
    private final long[] missedFrames;
    private final long[] stallFrames;
    private final int[] stallEndpoints;
    private final long vanishFrame;
    /** Whether any packet fault can happen at all: the bus skips the look-ups for a plan without. */
    private final boolean packetFaults;

    private FaultPlan(Builder b) {
        deviceRate = b.deviceRate;
        deviceRateStatus = b.deviceRateStatus;
        System.arraycopy(b.endpointRate, 0, endpointRate, 0, 32);
        System.arraycopy(b.endpointRateStatus, 0, endpointRateStatus, 0, 32);
        List<At> faults = sorted(b.faults);
        faultFrames = faults.stream().mapToLong(At::frame).toArray();
        faultEndpoints = faults.stream().mapToInt(At::endpoint).toArray();
        faultStatus = faults.stream().map(At::status).toArray(PacketStatus[]::new);
        missedFrames = b.missed.stream().mapToLong(Long::longValue).sorted().toArray();
        List<At> stalls = sorted(b.stalls);
        stallFrames = stalls.stream().mapToLong(At::frame).toArray();
        stallEndpoints = stalls.stream().mapToInt(At::endpoint).toArray();
        vanishFrame = b.vanishFrame;
        boolean rates = deviceRateStatus != null;
        for (PacketStatus s : endpointRateStatus) {
            rates |= s != null;
        }
        packetFaults = rates || faultFrames.length > 0 || missedFrames.length > 0;
    }

    private static List<At> sorted(List<At> list) {
        List<At> copy = new ArrayList<>(list);
        copy.sort(Comparator.comparingLong(At::frame));
        return copy;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The status to inject into a packet of {@code endpoint} in {@code frame}, or {@code null}.
     * Precedence: missed frame, explicit fault, probability.
     */
    PacketStatus packetFault(int endpoint, long frame, Random random) {
        if (!packetFaults) {
            return null;
        }
        if (Arrays.binarySearch(missedFrames, frame) >= 0) {
            return PacketStatus.NOT_ACCESSED;
        }
        int i = Arrays.binarySearch(faultFrames, frame);
        if (i >= 0) {
            while (i > 0 && faultFrames[i - 1] == frame) {
                i--;
            }
            for (; i < faultFrames.length && faultFrames[i] == frame; i++) {
                if (faultEndpoints[i] == endpoint) {
                    return faultStatus[i];
                }
            }
        }
        int e = index(endpoint);
        if (endpointRateStatus[e] != null) {
            return random.nextDouble() < endpointRate[e] ? endpointRateStatus[e] : null;
        }
        if (deviceRateStatus != null) {
            return random.nextDouble() < deviceRate ? deviceRateStatus : null;
        }
        return null;
    }

    /** Endpoints to halt at the start of {@code frame}, appended to {@code out}. */
    void stallsAt(long frame, List<Integer> out) {
        for (int i = 0; i < stallFrames.length; i++) {
            if (stallFrames[i] == frame) {
                out.add(stallEndpoints[i]);
            }
        }
    }

    boolean hasStalls() {
        return stallFrames.length > 0;
    }

    /** The frame the device vanishes at, or -1. */
    long vanishFrame() {
        return vanishFrame;
    }

    static int index(int endpointAddress) {
        return (endpointAddress & 0x0F) | (endpointAddress & 0x80) >>> 3;
    }

    /** Builds a {@link FaultPlan}. */
    public static final class Builder {
        private double deviceRate;
        private PacketStatus deviceRateStatus;
        private final double[] endpointRate = new double[32];
        private final PacketStatus[] endpointRateStatus = new PacketStatus[32];
        private final List<At> faults = new ArrayList<>();
        private final List<Long> missed = new ArrayList<>();
        private final List<At> stalls = new ArrayList<>();
        private long vanishFrame = -1;

        private Builder() {}

        /**
         * Every packet of every endpoint fails with {@code status} with probability {@code probability}.
         *
         * @param probability 0..1
         * @param status the status a failing packet reports
         * @return this
         */
        public Builder packetErrorRate(double probability, PacketStatus status) {
            deviceRate = checkProbability(probability);
            deviceRateStatus = Objects.requireNonNull(status, "status");
            return this;
        }

        /**
         * Packets of {@code endpointAddress} fail with {@code status} with probability
         * {@code probability}; overrides the device-wide rate for this endpoint.
         *
         * @param endpointAddress the endpoint, direction bit included
         * @param probability 0..1
         * @param status the status a failing packet reports
         * @return this
         */
        public Builder packetErrorRate(int endpointAddress, double probability, PacketStatus status) {
            int e = index(checkEndpoint(endpointAddress));
            endpointRate[e] = checkProbability(probability);
            endpointRateStatus[e] = Objects.requireNonNull(status, "status");
            return this;
        }

        /**
         * Packets of {@code endpointAddress} in {@code frame} fail with {@code status}.
         *
         * @param frame the bus frame
         * @param endpointAddress the endpoint, direction bit included
         * @param status the status they report
         * @return this
         */
        public Builder faultAt(long frame, int endpointAddress, PacketStatus status) {
            faults.add(new At(
                    checkFrame(frame), checkEndpoint(endpointAddress), Objects.requireNonNull(status, "status")));
            return this;
        }

        /**
         * The device babbles on IN endpoint {@code endpointAddress} in {@code frame}: it sends more than
         * asked, the host keeps the requested length and reports {@code DATA_OVERRUN}.
         *
         * @param frame the bus frame
         * @param endpointAddress an IN endpoint
         * @return this
         */
        public Builder babbleAt(long frame, int endpointAddress) {
            if ((checkEndpoint(endpointAddress) & 0x80) == 0) {
                throw new IllegalArgumentException(
                        "a device babbles only on an IN endpoint: 0x" + Integer.toHexString(endpointAddress));
            }
            return faultAt(frame, endpointAddress, PacketStatus.DATA_OVERRUN);
        }

        /**
         * The host controller skips {@code frame} for this device: every packet due in it reports
         * {@code NOT_ACCESSED}.
         *
         * @param frame the bus frame
         * @return this
         */
        public Builder missedFrame(long frame) {
            missed.add(checkFrame(frame));
            return this;
        }

        /**
         * The device halts {@code endpointAddress} at the start of {@code frame}: transfers and packets
         * report {@code STALL} until the host clears the halt (CLEAR_FEATURE(ENDPOINT_HALT)).
         *
         * @param frame the bus frame
         * @param endpointAddress the endpoint
         * @return this
         */
        public Builder stallAt(long frame, int endpointAddress) {
            stalls.add(new At(checkFrame(frame), checkEndpoint(endpointAddress), PacketStatus.STALL));
            return this;
        }

        /**
         * The device leaves the bus at the start of {@code frame}, as by
         * {@link SimulatedHostController#scheduleDetach}.
         *
         * @param frame the bus frame
         * @return this
         */
        public Builder vanishAt(long frame) {
            vanishFrame = checkFrame(frame);
            return this;
        }

        /** The plan. */
        public FaultPlan build() {
            return new FaultPlan(this);
        }

        /** A frame the bus can reach; a negative one would make the fault silently never happen. */
        private static long checkFrame(long frame) {
            if (frame < 0) {
                throw new IllegalArgumentException("frame must be 0 or later: " + frame);
            }
            return frame;
        }

        /** An endpoint address (number 0 to 15, direction bit 7); any other bit would alias another endpoint. */
        private static int checkEndpoint(int address) {
            if ((address & ~0x8F) != 0) {
                throw new IllegalArgumentException(
                        "not an endpoint address (0x00-0x0F, 0x80-0x8F): 0x" + Integer.toHexString(address));
            }
            return address;
        }

        private static double checkProbability(double p) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("probability must be in 0..1: " + p);
            }
            return p;
        }
    }
}
