package io.github.usbd4j.host.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A wrapper built on {@link ForwardingHostController} keeps every answer of the backend it wraps: where
 * callbacks run and how a completion thread waits included (a gate that dropped them once ran a tool's
 * callbacks on the runtime's pool instead of the libusb event thread).
 */
class ForwardingHostControllerTest {

    /** A backend whose every answer differs from the interface's default, and which records its calls. */
    private static final class Answering implements HostController {
        final List<String> calls = new ArrayList<>();
        final Executor executor = Runnable::run;
        // only its identity matters: a clock that answers nothing
        final BusClock clock = (BusClock) Proxy.newProxyInstance(
                BusClock.class.getClassLoader(), new Class<?>[] {BusClock.class}, (p, m, a) -> null);

        @Override
        public String name() {
            return "answering";
        }

        @Override
        public void start(HostListener listener) {
            calls.add("start");
        }

        @Override
        public BusClock clock() {
            return clock;
        }

        @Override
        public boolean isCompletionThread() {
            return true;
        }

        @Override
        public Optional<Executor> callbackExecutor() {
            return Optional.of(executor);
        }

        @Override
        public boolean canRunCompletionsHere() {
            return true;
        }

        @Override
        public boolean runCompletionsUntil(BooleanSupplier done, long nanos) {
            calls.add("runCompletionsUntil " + nanos);
            return true;
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    /** A wrapper that changes nothing. */
    private static final class Plain extends ForwardingHostController {
        Plain(HostController delegate) {
            super(delegate);
        }
    }

    @Test
    void everyAnswer_isTheWrappedBackends() {
        Answering inner = new Answering();
        HostController w = new Plain(inner);

        w.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {}

            @Override
            public void deviceDetached(BackendDevice device) {}
        });
        assertThat(w.name()).isEqualTo("answering");
        assertThat(w.clock()).isSameAs(inner.clock);
        assertThat(w.isCompletionThread()).isTrue();
        assertThat(w.callbackExecutor()).containsSame(inner.executor);
        assertThat(w.canRunCompletionsHere()).isTrue();
        assertThat(w.runCompletionsUntil(() -> false, 7)).isTrue();
        w.close();
        assertThat(inner.calls).containsExactly("start", "runCompletionsUntil 7", "close");
    }

    @Test
    void everyMethodOfTheSpi_defaultsIncluded_isPassedOn() throws NoSuchMethodException {
        // a hook added to HostController later must be forwarded here too, or every wrapper loses it
        for (Method m : HostController.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Method own = ForwardingHostController.class.getMethod(m.getName(), m.getParameterTypes());
            assertThat(own.getDeclaringClass())
                    .as("%s is passed on by ForwardingHostController", m.getName())
                    .isEqualTo(ForwardingHostController.class);
        }
    }
}
