package io.github.usbd4j.host.spi;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * A backend that passes every call on to another one: the base for a backend that filters or watches
 * another (only some devices, a check before a device is passed on, a hook before a step), overriding
 * what it changes. The wrapper then keeps the wrapped backend's answers on where completions and
 * callbacks run and how a completion thread waits, which a driver's callbacks rely on; a wrapper written
 * from scratch that forgot one of them would run callbacks on another thread, or leave a synchronous call
 * made in a callback without a way to wait.
 *
 * <p>Every method of {@link HostController}, its defaults included, is passed on here.
 */
public abstract class ForwardingHostController implements HostController {
    private final HostController delegate;

    /**
     * @param delegate the backend that every call is passed on to
     */
    protected ForwardingHostController(HostController delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The backend that calls are passed on to. */
    protected final HostController delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    /**
     * Passes the listener on unchanged; a filter overrides this to pass on a listener of its own that
     * decides which arrivals and departures reach the runtime.
     */
    @Override
    public void start(HostListener listener) {
        delegate.start(listener);
    }

    @Override
    public BusClock clock() {
        return delegate.clock();
    }

    @Override
    public boolean isCompletionThread() {
        return delegate.isCompletionThread();
    }

    @Override
    public Optional<Executor> callbackExecutor() {
        return delegate.callbackExecutor();
    }

    @Override
    public boolean canRunCompletionsHere() {
        return delegate.canRunCompletionsHere();
    }

    @Override
    public boolean runCompletionsUntil(BooleanSupplier done, long nanos) {
        return delegate.runCompletionsUntil(done, nanos);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
