package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link SimulatedHostController.Builder#callbackClockLimit}'s arguments: a limit that could never let a callback
 * run, or that overflows the watchdog's nanosecond clock, is refused when the controller is built, not met later by
 * the watchdog. What the limit does is checked on the real-time clock in the runtime's callback dispatch tests.
 */
class CallbackClockLimitTest {
    @Test
    void aLimitOfNothing_lessThanNothing_overADay_orNone_isRefused() {
        SimulatedHostController.Builder b = SimulatedHostController.builder();
        assertThatIllegalArgumentException().isThrownBy(() -> b.callbackClockLimit(Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(() -> b.callbackClockLimit(Duration.ofNanos(-1)));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.callbackClockLimit(Duration.ofDays(1).plusNanos(1)));
        assertThatIllegalArgumentException().isThrownBy(() -> b.callbackClockLimit(Duration.ofSeconds(Long.MAX_VALUE)));
        assertThatNullPointerException().isThrownBy(() -> b.callbackClockLimit(null));
        b.callbackClockLimit(Duration.ofNanos(1))
                .callbackClockLimit(Duration.ofDays(1))
                .build()
                .close();
    }
}
