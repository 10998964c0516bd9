package io.github.usbd4j.winusb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code OVERLAPPED} as one future per I/O (usb-iso-apis.md §2). */
class OverlappedTest {

    @Test
    void aCallbackThatStartsTheNextIo_getsAFreshPendingCompletion() {
        AtomicReference<CompletableFuture<Overlapped>> seenInCallback = new AtomicReference<>();
        Overlapped[] self = new Overlapped[1];
        self[0] = new Overlapped(o -> {
            assertThat(o.begin()).isTrue(); // the next I/O, as a streaming loop does
            seenInCallback.set(o.completion());
        });
        Overlapped o = self[0];
        assertThat(o.begin()).isTrue();
        CompletableFuture<Overlapped> first = o.completion();

        o.signal(0);

        assertThat(first).isCompleted();
        assertThat(seenInCallback.get()).isNotSameAs(first);
        assertThat(o.completion()).as("the second I/O is still pending").isNotDone();
        assertThat(o.hasOverlappedIoCompleted()).isFalse();
    }

    @Test
    void begin_refusesAnOverlappedWhoseIoIsPending_andReusesItAfterwards() {
        Overlapped o = new Overlapped();
        assertThat(o.begin()).isTrue();
        assertThat(o.begin()).isFalse();
        o.signal(31);
        assertThat(o.internal()).isEqualTo(31);
        assertThat(o.completion()).isCompleted();
        assertThat(o.begin()).isTrue();
        assertThat(o.internal()).isZero();
        assertThat(o.completion()).isNotDone();
    }
}
