#!/usr/bin/env bash
# Bring up / tear down a real single-node SLURM cluster on localhost, for tests.
#
#   slurm-cluster.sh up   STATE_DIR   # install (apt) if needed, configure, start, wait until usable
#   slurm-cluster.sh down STATE_DIR   # stop exactly the daemons recorded in STATE_DIR, remove it
#   slurm-cluster.sh env  STATE_DIR   # print the environment clients need (KEY=VALUE lines)
#
# Everything private lives under STATE_DIR: config (slurm.conf, slurmdbd.conf),
# a private munged (own key + socket), a private MariaDB (own datadir, socket,
# TCP port on 127.0.0.1), slurmdbd, slurmctld and slurmd (own ports, spool,
# logs, pid files). Nothing is written to /etc/slurm or /etc/munge (slurmd sees
# STATE_DIR/etc at /etc/slurm through a bind mount in its own private mount
# namespace), and no system service is started or stopped. Clients find the
# cluster through SLURM_CONF=STATE_DIR/etc/slurm.conf (see `env`).
#
# Must run as root (daemons run as root: SlurmUser=root). Needs no systemd and no
# cgroups (proctrack/linuxproc, task/none), so it works in containers.
set -euo pipefail

usage() { echo "usage: $0 up|down|env STATE_DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
ACTION=$1
STATE=$2

# Seconds a daemon gets between SIGTERM and SIGKILL in `down`.
: "${SLURM_CLUSTER_STOP_TIMEOUT:=30}"

log() { printf '[slurm-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

MARKER_VAR=GLASSFIT_SLURM_CLUSTER_STATE

# --------------------------------------------------------------------------- helpers

abs_state() {
    mkdir -p "$STATE"
    STATE=$(cd "$STATE" && pwd -P)
    # AF_UNIX socket paths are limited to 107 bytes.
    if (( ${#STATE} > 70 )); then
        die "STATE_DIR path too long for unix sockets (${#STATE} > 70 chars): $STATE"
    fi
}

tail_log() {  # tail_log FILE...: print the last lines of each existing log
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        echo "----- tail of $f -----" >&2
        tail -n 40 "$f" >&2 || true
    done
}

all_logs() { echo "$STATE/log/munged.log $STATE/log/mariadb.err $STATE/log/slurmdbd.log $STATE/log/slurmctld.log $STATE/log/slurmd.log"; }

fail_up() {  # fail_up MESSAGE: show the logs, tear down what was started, exit 1
    log "ERROR: $1"
    # shellcheck disable=SC2046
    tail_log $(all_logs)
    TORN_DOWN=1
    if [[ -n ${SLURM_CLUSTER_KEEP_ON_FAIL:-} ]]; then
        log "state kept for debugging (SLURM_CLUSTER_KEEP_ON_FAIL); run: $0 down $STATE"
    else
        log "tearing down the partial cluster"
        do_down || true
    fi
    exit 1
}

REMOVE_ON_EXIT=
TORN_DOWN=
UP_RUNNING=
on_exit() {  # any unexpected exit during `up` (set -e, signal) tears down what was started
    local rc=$?
    [[ -n $REMOVE_ON_EXIT ]] && rm -f "$REMOVE_ON_EXIT"
    if (( rc != 0 )) && [[ -n $UP_RUNNING && -z $TORN_DOWN && -z ${SLURM_CLUSTER_KEEP_ON_FAIL:-} ]]; then
        log "up failed (rc=$rc); tearing down the partial cluster"
        # shellcheck disable=SC2046
        tail_log $(all_logs)
        TORN_DOWN=1
        do_down || true
    fi
    return "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_ports() {  # sets PORTS=(mysql dbd ctld slurmd), four free distinct TCP ports
    PORTS=()
    local p tries=0
    while (( ${#PORTS[@]} < 4 )); do
        (( ++tries < 500 )) || die "could not find free TCP ports on 127.0.0.1"
        p=$(( 20000 + RANDOM % 30000 ))
        [[ " ${PORTS[*]} " == *" $p "* ]] && continue
        port_in_use "$p" && continue
        PORTS+=("$p")
    done
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Is PID one of the processes this cluster started? (guards against PID reuse)
# Daemons carry the marker variable in their environment.
pid_is_ours() {
    local pid=$1
    { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -qxF "$MARKER_VAR=$STATE"
}

# PIDs of every process that belongs to this cluster: the daemons carry the
# marker variable in their environment; slurmstepd clears its environment but
# keeps slurmd's log file (under STATE) open.
cluster_pids() {
    {
        grep -l -s -z -x -F "$MARKER_VAR=$STATE" /proc/[0-9]*/environ || true
        find /proc/[0-9]*/fd -maxdepth 1 -lname "$STATE/*" 2>/dev/null || true
    } | sed -n 's|^/proc/\([0-9]*\)/.*|\1|p' | sort -un
}

start_daemon() {  # start_daemon NAME LOGFILE CMD...: run CMD in the foreground mode, detached
    local name=$1 logf=$2; shift 2
    # setsid: own session, so the caller's terminal/process-group signals don't reach it.
    # The marker variable lets `down` check a recorded PID still belongs to us.
    env "$MARKER_VAR=$STATE" SLURM_CONF="$STATE/etc/slurm.conf" \
        setsid "$@" </dev/null >>"$logf" 2>&1 &
    echo $! > "$STATE/pids/$name.pid"
    log "started $name (pid $!)"
}

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...: poll CMD until it succeeds
    local secs=$1 what=$2; shift 2
    local deadline=$(( SECONDS + secs ))
    until "$@" >/dev/null 2>&1; do
        if (( SECONDS >= deadline )); then
            fail_up "timed out after ${secs}s waiting for $what"
        fi
        sleep 0.5
    done
}

check_alive() {  # check_alive NAME: fail with logs if the daemon died
    local pid
    pid=$(cat "$STATE/pids/$1.pid" 2>/dev/null || true)
    pid_alive "$pid" || fail_up "$1 exited during start-up"
}

# --------------------------------------------------------------------------- install

ensure_packages() {
    local need=()
    command -v munged     >/dev/null 2>&1 || need+=(munge)
    command -v mariadbd   >/dev/null 2>&1 || need+=(mariadb-server)
    command -v slurmdbd   >/dev/null 2>&1 || need+=(slurmdbd)
    command -v slurmctld  >/dev/null 2>&1 || need+=(slurm-wlm)
    command -v sbatch     >/dev/null 2>&1 || need+=(slurm-client)
    [[ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/accounting_storage_mysql.so ]] \
        || ls /usr/lib/*/slurm-wlm/accounting_storage_mysql.so >/dev/null 2>&1 \
        || need+=(slurm-wlm-mysql-plugin)
    (( ${#need[@]} == 0 )) && return 0
    [[ $(id -u) -eq 0 ]] || die "missing packages (${need[*]}) and not root to install them"
    log "installing ${need[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # Don't let the packages' maintainer scripts start system services
    # (slurmd/slurmctld/munge/mariadb) that would fight for the same resources.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created_policy=1
        REMOVE_ON_EXIT=$policy
    fi
    local rc=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        munge mariadb-server mariadb-client slurm-wlm slurmdbd slurm-client slurm-wlm-mysql-plugin; } \
        >"${TMPDIR:-/tmp}/slurm-cluster-apt.log" 2>&1 || rc=$?
    if (( created_policy )); then rm -f "$policy"; REMOVE_ON_EXIT=; fi
    if (( rc != 0 )); then
        tail -n 30 "${TMPDIR:-/tmp}/slurm-cluster-apt.log" >&2
        die "apt-get install failed (rc=$rc)"
    fi
}

# --------------------------------------------------------------------------- configure

write_configs() {
    local node_line cpus mem host
    host=$(hostname -s)
    # `slurmd -C` prints the node's real hardware (CPUs, sockets, RealMemory).
    node_line=$(slurmd -C | head -n 1)
    cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node_line")
    mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
    [[ -n $cpus && -n $mem ]] || die "cannot parse 'slurmd -C' output: $node_line"
    # Leave some headroom so memory checks never drain the node.
    mem=$(( mem * 95 / 100 ))
    local topo
    topo=$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$node_line" || true)

    local mysql_port=${PORTS[0]} dbd_port=${PORTS[1]} ctld_port=${PORTS[2]} slurmd_port=${PORTS[3]}

    cat > "$STATE/etc/slurm.conf" <<EOF
# Generated by tests/cluster/slurm-cluster.sh -- single-node test cluster.
ClusterName=glassfit
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctld_port}
SlurmdPort=${slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${STATE}/munge/munge.socket.2

StateSaveLocation=${STATE}/spool/ctld
SlurmdSpoolDir=${STATE}/spool/d
SlurmctldPidFile=${STATE}/run/slurmctld.pid
SlurmdPidFile=${STATE}/run/slurmd.pid
SlurmctldLogFile=${STATE}/log/slurmctld.log
SlurmdLogFile=${STATE}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=${STATE}/etc/plugstack.conf

# No cgroups (often unavailable in containers).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
MpiDefault=none
SwitchType=switch/none

SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0,bf_interval=1
PriorityType=priority/basic

AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=${dbd_port}
# For slurmdbd connections the munge socket is taken from here, not AuthInfo.
AccountingStoragePass=${STATE}/munge/munge.socket.2
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none

# Short intervals: jobs start and are cleaned up quickly.
MessageTimeout=10
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
ReturnToService=2
MailProg=/bin/true
TmpFS=/tmp

NodeName=${host} NodeAddr=127.0.0.1 NodeHostname=${host} CPUs=${cpus} ${topo} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
    : > "$STATE/etc/plugstack.conf"

    cat > "$STATE/etc/slurmdbd.conf" <<EOF
# Generated by tests/cluster/slurm-cluster.sh
AuthType=auth/munge
AuthInfo=socket=${STATE}/munge/munge.socket.2
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=${dbd_port}
SlurmUser=root
DebugLevel=info
LogFile=${STATE}/log/slurmdbd.log
PidFile=${STATE}/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=${mysql_port}
StorageUser=slurm
StoragePass=slurmtestpw
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$STATE/etc/slurmdbd.conf"
    chmod 644 "$STATE/etc/slurm.conf"
}

# --------------------------------------------------------------------------- start

start_munged() {
    mkdir -p "$STATE/munge"
    chmod 755 "$STATE/munge"
    # A fresh key per cluster; never touches /etc/munge.
    dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$STATE/munge/munge.key"
    # --force: the state dir may live under a world-writable (sticky) /tmp.
    start_daemon munged "$STATE/log/munged.log" \
        munged --foreground --force \
        --socket="$STATE/munge/munge.socket.2" \
        --key-file="$STATE/munge/munge.key" \
        --pid-file="$STATE/munge/munged.pid" \
        --seed-file="$STATE/munge/munged.seed" \
        --log-file="$STATE/log/munged.log"
    wait_for 20 "munged socket" munge_ok
}

munge_ok() { munge -n --socket="$STATE/munge/munge.socket.2" | unmunge --socket="$STATE/munge/munge.socket.2"; }

# shellcheck disable=SC2120  # called with arguments through wait_for
mysql_cli() { mariadb --no-defaults --socket="$STATE/mysql/mysqld.sock" -uroot "$@"; }

start_mariadb() {
    mkdir -p "$STATE/mysql/data"
    log "initialising private MariaDB datadir"
    mariadb-install-db --no-defaults --user=root --datadir="$STATE/mysql/data" \
        --auth-root-authentication-method=socket --skip-test-db \
        >"$STATE/log/mariadb-install.log" 2>&1 \
        || { tail_log "$STATE/log/mariadb-install.log"; fail_up "mariadb-install-db failed"; }
    start_daemon mariadbd "$STATE/log/mariadb.err" \
        mariadbd --no-defaults --user=root \
        --datadir="$STATE/mysql/data" \
        --socket="$STATE/mysql/mysqld.sock" \
        --pid-file="$STATE/mysql/mysqld.pid" \
        --log-error="$STATE/log/mariadb.err" \
        --port="${PORTS[0]}" --bind-address=127.0.0.1 --skip-name-resolve \
        --skip-log-bin --innodb-buffer-pool-size=128M --innodb-log-file-size=48M \
        --innodb-lock-wait-timeout=900 --max-connections=100 \
        --innodb-use-native-aio=0 --innodb-flush-log-at-trx-commit=2
    wait_for 60 "MariaDB to accept connections" mysql_cli -e 'SELECT 1'
    mysql_cli <<'EOF'
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmtestpw';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmtestpw';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
EOF
}

sacctmgr_q() { SLURM_CONF="$STATE/etc/slurm.conf" timeout 20 sacctmgr "$@"; }

start_slurmdbd() {
    start_daemon slurmdbd "$STATE/log/slurmdbd.out" slurmdbd -D
    wait_for 60 "slurmdbd to answer (sacctmgr show cluster)" sacctmgr_q -n show cluster
    check_alive slurmdbd
    # Register cluster, an account, and the users in the accounting DB.
    sacctmgr_q -i add cluster glassfit >/dev/null
    sacctmgr_q -i add account glassfit Cluster=glassfit Description=tests Organization=tests >/dev/null
    local u users=(root)
    u=$(id -un); [[ $u != root ]] && users+=("$u")
    if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then users+=("$SUDO_USER"); fi
    for u in "${users[@]}"; do
        sacctmgr_q -i add user "$u" Account=glassfit Cluster=glassfit DefaultAccount=glassfit >/dev/null
        # root already exists (default account "root"): make glassfit its default.
        sacctmgr_q -i modify user where name="$u" set DefaultAccount=glassfit >/dev/null
    done
}

sinfo_idle() {
    local st
    st=$(SLURM_CONF="$STATE/etc/slurm.conf" timeout 10 sinfo -h -N -o '%T' 2>/dev/null) || return 1
    [[ $st == idle ]]
}

sacct_ok() { SLURM_CONF="$STATE/etc/slurm.conf" timeout 10 sacct -n -X -a --starttime now-1hour >/dev/null; }

start_slurm() {
    start_daemon slurmctld "$STATE/log/slurmctld.out" slurmctld -D -i
    wait_for 60 "slurmctld to answer (scontrol ping)" \
        env SLURM_CONF="$STATE/etc/slurm.conf" timeout 10 scontrol ping
    check_alive slurmctld
    # Job steps must find this slurm.conf without SLURM_CONF: the slurm-jobstep
    # executor plugin strips every SLURM_* variable (SLURM_CONF included) before
    # its nested `srun`. So slurmd (and thus every job it starts) runs in a
    # private mount namespace in which our config dir is bind-mounted over
    # /etc/slurm; the host's /etc/slurm is left untouched.
    if unshare -m --propagation private sh -c "mount --bind '$STATE/etc' /etc/slurm" 2>/dev/null; then
        start_daemon slurmd "$STATE/log/slurmd.out" \
            unshare -m --propagation private \
            sh -c 'mount --bind "$1" /etc/slurm && exec slurmd -D -N "$2"' sh "$STATE/etc" "$(hostname -s)"
    else
        log "WARNING: cannot create a mount namespace; jobs see SLURM_CONF only (the snakemake slurm plugin's nested srun will fail)"
        start_daemon slurmd "$STATE/log/slurmd.out" slurmd -D -N "$(hostname -s)"
    fi
    local deadline=$(( SECONDS + 60 ))
    until sinfo_idle; do
        check_alive slurmd
        check_alive slurmctld
        (( SECONDS < deadline )) || fail_up "timed out after 60s waiting for the node to become idle (sinfo: $(SLURM_CONF="$STATE/etc/slurm.conf" sinfo -N -h -o '%T %E' 2>&1))"
        sleep 0.5
    done
    wait_for 30 "sacct to answer" sacct_ok
}

do_up() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (daemons run as SlurmUser=root)"
    abs_state
    if [[ -d $STATE/pids ]] && compgen -G "$STATE/pids/*.pid" >/dev/null; then
        log "state dir has recorded daemons; stopping them first"
        do_down
        mkdir -p "$STATE"
    fi
    local t0=$SECONDS
    UP_RUNNING=1
    ensure_packages
    mkdir -p /etc/slurm
    mkdir -p "$STATE"/{etc,log,run,pids,spool/ctld,spool/d,mysql}
    pick_ports
    write_configs
    start_munged
    start_mariadb
    start_slurmdbd
    start_slurm
    UP_RUNNING=
    log "cluster up in $(( SECONDS - t0 ))s (SLURM_CONF=$STATE/etc/slurm.conf)"
}

# --------------------------------------------------------------------------- stop

stop_pids() {  # stop_pids NAME=PID...: SIGTERM all at once, wait, SIGKILL stragglers
    local item name pid left deadline t0=$SECONDS
    local -a names=() pids=()
    for item in "$@"; do
        name=${item%%=*}; pid=${item#*=}
        [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || continue
        if [[ -z ${STOP_ANY_PID:-} ]] && ! pid_is_ours "$pid"; then
            log "pid $pid recorded for $name is not ours any more; leaving it alone"
            continue
        fi
        kill -TERM "$pid" 2>/dev/null || true
        names+=("$name"); pids+=("$pid")
    done
    (( ${#pids[@]} )) || return 0
    deadline=$(( SECONDS + SLURM_CLUSTER_STOP_TIMEOUT ))
    while :; do
        left=0
        for pid in "${pids[@]}"; do pid_alive "$pid" && left=1; done
        (( left )) || break
        if (( SECONDS >= deadline )); then
            for pid in "${pids[@]}"; do
                if pid_alive "$pid"; then
                    log "pid $pid ignored SIGTERM for ${SLURM_CLUSTER_STOP_TIMEOUT}s; sending SIGKILL"
                    kill -KILL "$pid" 2>/dev/null || true
                fi
            done
            sleep 0.5
            break
        fi
        sleep 0.1
    done
    log "stopped ${names[*]} in $(( SECONDS - t0 ))s"
}

descendants() {  # descendants PID...: the PIDs and all their descendants
    local -A children=()
    local stat pid ppid rest
    for stat in /proc/[0-9]*/stat; do
        read -r pid rest 2>/dev/null < "$stat" || continue
        rest=${rest##*) }           # drop "(comm) " (comm may contain spaces)
        ppid=${rest#* }; ppid=${ppid%% *}
        children[$ppid]+=" $pid"
    done
    local queue=("$@") out=()
    while (( ${#queue[@]} )); do
        pid=${queue[0]}; queue=("${queue[@]:1}")
        out+=("$pid")
        # shellcheck disable=SC2206
        [[ -n ${children[$pid]:-} ]] && queue+=(${children[$pid]})
    done
    echo "${out[@]}"
}

pid_of() { local p; p=$(cat "$STATE/pids/$1.pid" 2>/dev/null || true); echo "$1=$p"; }

do_down() {
    [[ -d $STATE ]] || { log "nothing to stop: $STATE does not exist"; return 0; }
    STATE=$(cd "$STATE" && pwd -P)
    local conf=$STATE/etc/slurm.conf
    # Cancel any job still queued or running so slurmstepd/user processes end.
    if [[ -f $conf && -f $STATE/pids/slurmctld.pid ]] && pid_alive "$(cat "$STATE/pids/slurmctld.pid")"; then
        SLURM_CONF=$conf timeout 10 scancel --partition=debug >/dev/null 2>&1 || true
        local deadline=$(( SECONDS + 10 ))
        while (( SECONDS < deadline )); do
            [[ -z $(SLURM_CONF=$conf timeout 5 squeue -h -o %i 2>/dev/null || echo x) ]] && break
            sleep 0.5
        done
    fi
    # Slurm daemons first (slurmctld flushes job records to slurmdbd on the
    # way down), then the database and munge they depend on.
    stop_pids "$(pid_of slurmd)" "$(pid_of slurmctld)" "$(pid_of slurmdbd)"
    stop_pids "$(pid_of mariadbd)" "$(pid_of munged)"
    rm -f "$STATE"/pids/*.pid
    # Leftovers: job step daemons (slurmstepd, forked by slurmd and re-parented
    # to init) that outlived slurmd -- found by their open files under STATE --
    # plus every descendant of them (the jobs' processes). Normally none: the
    # scancel above ends all jobs.
    local p roots=() leftovers=()
    for p in $(cluster_pids); do
        [[ $p == "$$" || $p == "$BASHPID" ]] || roots+=("$p")
    done
    if (( ${#roots[@]} )); then
        for p in $(descendants "${roots[@]}"); do leftovers+=("leftover=$p"); done
        STOP_ANY_PID=1 SLURM_CLUSTER_STOP_TIMEOUT=5 stop_pids "${leftovers[@]}"
    fi
    rm -rf "$STATE"
    log "cluster down; removed $STATE"
}

print_env() {
    abs_state
    echo "SLURM_CONF=$STATE/etc/slurm.conf"
}

case $ACTION in
    up)   do_up; print_env ;;
    down) do_down ;;
    env)  print_env ;;
    *)    usage ;;
esac
