package io.github.usbd4j.host.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The phase discipline of a backend transfer: prepared, accepted, completed exactly once; nothing out of turn. */
class BackendTransferPhaseTest {
    private final AtomicInteger completions = new AtomicInteger();
    private final BackendTransfer t = new BackendTransfer(x -> completions.incrementAndGet());

    private BackendTransfer prepared() {
        return t.bulk(TransferType.BULK, 0x81, ByteBuffer.allocate(8), 0, 8, false);
    }

    @Test
    void completeWithoutSubmission_isRejected() {
        assertThat(t.phase()).isEqualTo(BackendTransfer.Phase.IDLE);
        assertThatIllegalStateException().isThrownBy(t::complete);
        prepared();
        assertThatIllegalStateException().isThrownBy(t::complete).withMessageContaining("PREPARED");
        assertThat(completions).hasValue(0);
    }

    @Test
    void completeTwice_isRejected_andTheListenerHearsOnce() {
        prepared().accept();
        t.setResult(PacketStatus.OK, 8);
        t.complete();
        assertThatIllegalStateException().isThrownBy(t::complete).withMessageContaining("COMPLETED");
        assertThat(completions).hasValue(1);
        assertThat(t.phase()).isEqualTo(BackendTransfer.Phase.COMPLETED);
    }

    @Test
    void resultsOutsideASubmission_areRejected() {
        prepared();
        assertThatIllegalStateException().isThrownBy(() -> t.setResult(PacketStatus.OK, 1));
        assertThatIllegalStateException().isThrownBy(() -> t.setActualStartFrame(3));
        assertThatIllegalStateException().isThrownBy(t::resetResults);
        t.accept();
        t.setResult(PacketStatus.STALL, 0);
        t.complete();
        assertThatIllegalStateException().isThrownBy(() -> t.setResult(PacketStatus.OK, 8));
        assertThat(t.status()).isEqualTo(PacketStatus.STALL);
    }

    @Test
    void preparingOrAcceptingASubmittedTransfer_isRejected() {
        prepared().accept();
        assertThatIllegalStateException().isThrownBy(this::prepared);
        assertThatIllegalStateException().isThrownBy(t::accept);
        assertThatIllegalStateException().isThrownBy(t::clear);
    }

    @Test
    void refused_goesBackToPrepared_andMayBeSubmittedAgain_butNotAfterCompletion() {
        prepared().accept();
        t.refuse();
        assertThat(t.phase()).isEqualTo(BackendTransfer.Phase.PREPARED);
        t.accept();
        t.complete();
        assertThatIllegalStateException().isThrownBy(t::refuse);
        prepared().accept(); // a pooled transfer is prepared again after its completion
        assertThat(t.phase()).isEqualTo(BackendTransfer.Phase.SUBMITTED);
    }

    @Test
    void preparation_resetsTheResults() {
        t.isochronous(0x81, ByteBuffer.allocate(16), 0, 100, 1, new int[] {8, 8}, 2)
                .accept();
        t.setPacketResult(0, 8, PacketStatus.OK);
        t.setResult(PacketStatus.OK, 8);
        t.complete();
        t.isochronous(0x81, ByteBuffer.allocate(16), 0, 200, 1, new int[] {8, 8}, 2);
        assertThat(t.packetStatus(0)).isEqualTo(PacketStatus.NOT_ACCESSED);
        assertThat(t.packetActual(0)).isZero();
        assertThat(t.actualStartFrame()).isEqualTo(200);
    }
}
