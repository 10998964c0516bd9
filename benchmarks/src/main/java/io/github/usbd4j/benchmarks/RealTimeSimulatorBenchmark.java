package io.github.usbd4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The real-time simulator under load: {@code streams} high-speed max-bandwidth iso IN streams (interface 0
 * alternate setting 2 of the loopback device: 3 x 1024 B every microframe; one stream per simulated bus, since
 * a bus admits one such endpoint), each a CE driver with {@code inFlight} transfers of {@code packets}
 * packets (16 = 2 ms) reissued from its callbacks, for {@code seconds} after a 5-second warm-up. One
 * invocation is the whole run; the figures are the auxiliary counters: microframes the streams missed
 * (packets with an error plus gaps between transfers), process CPU in cores, heap bytes allocated per
 * transfer, and bus done → callback entry (p50, p99, max, ns).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RealTimeSimulator -p seconds=60</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(1)
public class RealTimeSimulatorBenchmark {
    @Param({"16"})
    public int streams;

    @Param({"16"})
    public int packets;

    @Param({"4"})
    public int inFlight;

    @Param({"60"})
    public int seconds;

    /**
     * {@code false}: every bus has the runtime's default callback dispatch (its clock thread); {@code true}: two
     * threads shared by all buses (a {@code ThreadPoolExecutor} given to {@code Usbd.Builder.callbackExecutor}).
     */
    @Param({"false"})
    public boolean sharedCallbackThreads;

    /**
     * {@code Usbd.Builder.transferHandleQuarantine}; 0: the runtime's default (16,384 closes per pipe, during
     * which a CE stream allocates a new transfer handle per transfer, about 30 bytes).
     */
    @Param({"0"})
    public int handleQuarantine;

    private RealTimeStreams run;

    /** What the run measured. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Figures {
        public long missedMicroframes;
        public long packets;
        public double cpuCores;
        public double allocBytesPerTransfer;
        public long latencyP50Nanos;
        public long latencyP99Nanos;
        public long latencyMaxNanos;
    }

    @Setup(Level.Trial)
    public void setUp() {
        run = new RealTimeStreams(streams, 2, packets, inFlight, sharedCallbackThreads, handleQuarantine);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        run.close();
    }

    @Benchmark
    public void stream(Figures f) throws InterruptedException {
        run.run(5, seconds);
        f.missedMicroframes = run.missedMicroframes;
        f.packets = run.packets;
        f.cpuCores = run.cpuCores;
        f.allocBytesPerTransfer = run.allocatedBytesPerTransfer;
        f.latencyP50Nanos = run.p50;
        f.latencyP99Nanos = run.p99;
        f.latencyMaxNanos = run.max;
    }
}
