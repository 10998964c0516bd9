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
 * Callback dispatch latency on the real-time simulator: one high-speed iso IN stream (1024 B per
 * microframe, 8-packet transfers, 8 in flight, reissued from the callback); for every transfer, the time
 * from the bus running its last packet to the CE callback's first instruction, in nanoseconds (p50, p99,
 * max), with the runtime's default callback executor. One invocation is the whole run of
 * {@code seconds}, after a 5-second warm-up; the figures are the auxiliary counters.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(1)
public class CallbackLatencyBenchmark {
    @Param({"20"})
    public int seconds;

    /** As in {@link RealTimeSimulatorBenchmark#handleQuarantine}. */
    @Param({"0"})
    public int handleQuarantine;

    private RealTimeStreams run;

    /** What the run measured. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Latency {
        public long p50Nanos;
        public long p99Nanos;
        public long maxNanos;
        public double allocBytesPerTransfer;
        public long missedMicroframes;
    }

    @Setup(Level.Trial)
    public void setUp() {
        run = new RealTimeStreams(1, 1, 8, 8, false, handleQuarantine);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        run.close();
    }

    @Benchmark
    public void dispatch(Latency l) throws InterruptedException {
        run.run(5, seconds);
        l.p50Nanos = run.p50;
        l.p99Nanos = run.p99;
        l.maxNanos = run.max;
        l.allocBytesPerTransfer = run.allocatedBytesPerTransfer;
        l.missedMicroframes = run.missedMicroframes;
    }
}
