package io.github.usbd4j.winusb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code OVERLAPPED} as one future per I/O ([§2](reference/winusb.html#s2)). */
class OverlappedTest {

    /** What the runtime does when an I/O completes: record and signal, complete the future, run the callback. */
    private static void signal(Overlapped o, int win32Error) {
        CompletableFuture<Overlapped> c = o.complete(win32Error);
        if (c != null) {
            c.complete(o); // first: a callback that starts the next I/O must get a fresh future from begin()
        }
        o.runCallback();
    }

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

        signal(o, 0);

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
        signal(o, 31);
        assertThat(o.internal()).isEqualTo(31);
        assertThat(o.completion()).isCompleted();
        assertThat(o.begin()).isTrue();
        assertThat(o.internal()).isZero();
        assertThat(o.completion()).isNotDone();
    }

    @Test
    void completion_askedForOnlyAfterTheIoIsDone_isAlreadyCompleted_andStaysTheSameUntilTheNextIo() {
        Overlapped o = new Overlapped();
        assertThat(o.begin()).isTrue();
        signal(o, 0);
        CompletableFuture<Overlapped> done = o.completion();
        assertThat(done).isCompletedWithValue(o);
        assertThat(o.completion()).isSameAs(done);
        assertThat(o.begin()).isTrue();
        assertThat(o.completion()).isNotDone();
    }

    @Test
    void completion_askedForBeforeAnyIo_completesWithTheFirst() {
        Overlapped o = new Overlapped();
        CompletableFuture<Overlapped> first = o.completion();
        assertThat(first).isNotDone();
        assertThat(o.begin()).isTrue();
        assertThat(o.completion()).isSameAs(first);
        signal(o, 0);
        assertThat(first).isCompletedWithValue(o);
    }
}
