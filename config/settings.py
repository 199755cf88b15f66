"""Settings with their documented defaults.

`FingerprintParams` holds every tuning value of the recogniser. Each field carries a comment on its
trade-off, in the spirit of dejavu's settings file. The fields marked *(store)* change the hashes that
are written, so a store remembers them and refuses to open with other values; the others only change
how a query is analysed and judged, and may be changed at any time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

# Fields whose value changes the stored hashes (see FingerprintParams.store_signature).
STORE_FIELDS = (
    "sample_rate",
    "n_fft",
    "hop_length",
    "min_freq_hz",
    "peak_freq_radius",
    "peak_time_radius",
    "amp_min_db",
    "peaks_per_second",
    "fan_value",
    "dt_min_frames",
    "dt_max_frames",
    "df_max_bins",
)


@dataclass(frozen=True)
class FingerprintParams:
    """Every tuning value of decoding, peak picking, hashing and matching."""

    # (store) Every input is decoded to mono at this rate before analysis, whatever its own rate, so an
    # 8 kHz phone recording and a 48 kHz opus file of the same song give the same hashes. 8 kHz keeps the
    # band (0-4 kHz) where music has its strongest, most noise-resistant peaks and makes the store and
    # the analysis about five times cheaper than 44.1 kHz.
    sample_rate: int = 8000
    # (store) FFT window in samples. Longer windows resolve frequency better (peaks survive noise) but
    # smear time. 1024 samples = 128 ms at 8 kHz, 7.8 Hz per bin.
    n_fft: int = 1024
    # (store) Samples between frames: the time resolution of offsets (256 = 32 ms at 8 kHz). Smaller hops
    # give finer offsets and more frames to analyse.
    hop_length: int = 256
    # (store) Peaks below this frequency are ignored: the lowest bins are dominated by rumble and DC and
    # carry little that identifies a recording.
    min_freq_hz: float = 100.0
    # (store) A peak must be the maximum of its neighbourhood of +-radius bins and +-radius frames.
    # Larger neighbourhoods give fewer, sparser, more robust peaks (a smaller store, fewer matches).
    peak_freq_radius: int = 12
    peak_time_radius: int = 6
    # (store) Peaks quieter than this (dB relative to full scale) are ignored, so silence and hiss give no
    # fingerprints. Raise it for fewer fingerprints, lower it to hear quieter music.
    amp_min_db: float = -70.0
    # (store) At most this many peaks per second of audio are kept (the strongest in each second), which
    # bounds the store size and the query work whatever the music's density.
    peaks_per_second: int = 7
    # (store) Each anchor peak is paired with up to this many following peaks in its target zone. A higher
    # fan value gives more hashes (better recall under noise) at the cost of store size and query time.
    fan_value: int = 4
    # (store) The target zone: frames after the anchor (dt) and frequency distance (df) a target may lie at.
    # dt_max must fit the hash's time-delta bits (see fingerprint.hashing).
    dt_min_frames: int = 1
    dt_max_frames: int = 63
    df_max_bins: int = 127
    # Query only: a query keeps more peaks per second and pairs each with more targets than the store does,
    # so that the store's pairs are found among the query's even when noise reorders the peaks. Costs only
    # query time, never store size.
    query_peaks_per_second: int = 24
    query_fan_value: int = 12
    # Query only: the neighbourhood those denser peaks are maxima of (the store's by default). A smaller
    # one keeps a song's peak when a louder song or noise puts energy beside it, but lets more audio that
    # was never stored match: at 6 bins and 3 frames bench/evaluate.py measured 94 % instead of 88 % of
    # 50/50 mixes with both songs named, and 95.7 % instead of 99.2 % of never-stored audio unmatched.
    # The query's store-like hashes always keep the store's neighbourhood.
    query_peak_freq_radius: int = 12
    query_peak_time_radius: int = 6
    # Query only: the same neighbourhood for a query looked up whole because it is a mix (the window's
    # two-song Shazam, `Recognizer.recognize_mix`). There the weaker song's peaks are the ones masked, and
    # naming it is the point; bench/evaluate.py measures how often such a query names a song that is not
    # in it.
    mix_peak_freq_radius: int = 6
    mix_peak_time_radius: int = 3
    # Query only: the query is analysed this many times, each shifted by hop_length / query_shifts samples,
    # so that a clip which does not start on the store's frame grid still finds its hashes.
    query_shifts: int = 4
    # Query only: votes from offset differences within this many frames of each other are counted together,
    # which tolerates a frame of skew between query and store.
    offset_tolerance_frames: int = 1
    # Query only: a song is a match when at least this many hashes agree on one offset. Chance alignments of
    # a song that is not in the query rarely reach it; lower it to accept shorter or noisier clips.
    min_aligned_hashes: int = 12
    # Query only: how many matches a recognition returns at most (a mix of several songs names each).
    max_matches: int = 5
    # Query only: a query first looks up its store-like hashes (those the store's own density gives, most
    # likely stored), and the rest only if those name no song. In a large library each look-up probes its
    # rarest hashes first and stops once the stored rows they are expected to hit reach its budget
    # (fingerprint.rarity); 0 probes every hash. Rows cost a few microseconds each to read and move, so
    # the first budget bounds the time of most queries and the second that of the hard ones (noise, no
    # match); below them nothing is left out. The rows each rare hash hits grow with the library, so the
    # first budget is also at least first_pass_row_share of the stored rows (19,500 at 390 million rows,
    # 100,000 songs: measured by bench/scale.py, where 10,000 named too few clips and 20,000 all; at
    # 10,000 songs 5,000 named as many clips as 10,000, with a p95 of 71 instead of 91 ms).
    first_pass_row_budget: int = 5_000
    first_pass_row_share: float = 0.00005
    query_row_budget: int = 150_000

    def store_signature(self) -> dict[str, object]:
        """The values a store must have been built with for its hashes to match ours."""
        return {name: getattr(self, name) for name in STORE_FIELDS}

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class SQLiteSettings:
    """The embedded store. `path` None means the file in the user's data directory."""

    path: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    """Where a MySQL/MariaDB database is and who logs in to it."""

    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = field(default="", repr=False)
    database: str = "dejavu"


@dataclass(frozen=True)
class MySQLSettings(ServerSettings):
    """The MySQL/MariaDB server the app talks to, reached through mysqlclient."""

    # A Unix socket path; when set it is used instead of host and port.
    unix_socket: str | None = None
    connect_timeout_s: int = 5
    # The fingerprints table's storage engine when the store creates it: "auto" takes MyRocks (compact,
    # and as fast to fill at 100,000 songs as when empty) if the server offers it, else InnoDB.
    engine: str = "auto"


@dataclass(frozen=True)
class ShardSettings(ServerSettings):
    """One backend server holding a share of the fingerprints table (see database/shards.py)."""


@dataclass(frozen=True)
class AppConfig:
    """Everything `dejavu.cnf` can say, with the defaults used when it says nothing."""

    database_type: str = "sqlite"
    database: SQLiteSettings | MySQLSettings = field(default_factory=SQLiteSettings)
    # Seconds of each song that are fingerprinted (None: the whole song). Shorter limits make ingest faster
    # and the store smaller, but clips from later in a song are then not recognised.
    fingerprint_limit: float | None = None
    fingerprint: FingerprintParams = field(default_factory=FingerprintParams)
    # The backend servers the fingerprints table is sharded over ("database" is then the head node); empty
    # for one server. Used only by `main.py --setup-shards`: the app itself talks to the head alone.
    shards: tuple[ShardSettings, ...] = ()
