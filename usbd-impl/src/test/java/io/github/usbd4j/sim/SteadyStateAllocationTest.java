package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Iso streaming through the simulator allocates nothing per transfer or packet once warmed up. */
class SteadyStateAllocationTest {

    @Test
    void highBandwidthLoopbackStreamingDoesNotAllocate() throws BackendException {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());

        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(LoopbackDevice.highSpeed());
        b.setInterface(d, 0, 2);
        int[] lengths = Bench.lengths(8, 3072);
        long[] next = {b.host.currentFrame() + 2}; // one frame of 8 packets per transfer, back to back
        long[] done = {0};
        BackendTransfer.Listener resubmit = t -> {
            done[0]++;
            t.isochronous(t.endpointAddress(), t.buffer(), 0, t.startFrame() + 1, 1, lengths, 8);
            try {
                d.submit(t);
            } catch (BackendException e) {
                throw new IllegalStateException(e);
            }
        };
        d.submit(new BackendTransfer(resubmit)
                .isochronous(0x01, ByteBuffer.allocate(8 * 3072), 0, next[0], 1, lengths, 8));
        d.submit(new BackendTransfer(resubmit)
                .isochronous(0x81, ByteBuffer.allocate(8 * 3072), 0, next[0], 1, lengths, 8));
        b.host.advanceFrames(2000); // warm up

        long thread = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(thread);
        long transfers = done[0];
        b.host.advanceFrames(2000);
        long allocated = mx.getThreadAllocatedBytes(thread) - before;

        assertThat(done[0] - transfers).isEqualTo(4000);
        // 4000 transfers, 32000 packets: anything per packet would be far above this
        assertThat(allocated).isLessThan(16 * 1024);
    }
}
