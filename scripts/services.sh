# Sourced by scripts/test and .ci/run: make sure the local PostgreSQL and NATS JetStream are up
# (the machine's own, on their default ports), starting them if they are down.

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }

# wait_until NAME SECONDS CHECK...: runs CHECK every half second until it succeeds.
wait_until() {
    local name=$1 seconds=$2
    shift 2
    for ((i = 0; i < seconds * 2; i++)); do
        "$@" && return 0
        sleep 0.5
    done
    echo "error: $name is not up after ${seconds}s" >&2
    return 1
}

# The end-to-end suites run two stacks at a time, some with several instances of a service;
# each process holds a pool, a LISTEN connection and one leader-lock connection per processor
# it hosts. PostgreSQL's default of 100 connections is too few.
PASAR_MIN_CONNECTIONS=400

start_postgres() {
    # shellcheck disable=SC2046
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main "$1"
    wait_until PostgreSQL 30 postgres_up
}

ensure_services() {
    if postgres_up; then
        echo "PostgreSQL is up on 127.0.0.1:5432"
    else
        echo "starting PostgreSQL"
        start_postgres start
    fi
    local connections
    connections=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW max_connections')
    if ((connections < PASAR_MIN_CONNECTIONS)); then
        echo "PostgreSQL allows $connections connections; the suites need $PASAR_MIN_CONNECTIONS:" \
            "ALTER SYSTEM SET max_connections and restarting it"
        psql -h 127.0.0.1 -U postgres -d postgres -qc \
            "ALTER SYSTEM SET max_connections = $PASAR_MIN_CONNECTIONS"
        start_postgres restart
    fi
    if nats_up; then
        echo "NATS is up on 127.0.0.1:4222"
    else
        echo "starting NATS JetStream"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
            -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
        wait_until NATS 30 nats_up
    fi
}
