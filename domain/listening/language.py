"""The language of a mention: English ("en"), Indonesian ("id") or undetermined ("und").

Stop-word and affix voting, fast enough to run on every mention: each token votes for
Indonesian or English (function words and informal spellings 1, common content words and
affix patterns 0.5), links, @mentions, emoji and numbers vote for nothing, and a language
needs at least one full vote and more votes than the other. Short texts with no function
word ("Mantap!", "Nice 👍") come back "und"; so does a tie, and text in other languages.
Indonesian posts mix English words in freely ("gak worth it", "fast respon"), so only
English *function* words vote strongly for English.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH = "en"
INDONESIAN = "id"
UNDETERMINED = "und"
LANGUAGES = (ENGLISH, INDONESIAN)

_ID_FUNCTION = _words(
    """
    yang yg dan dgn dengan di ke dari ini itu tsb untuk utk buat bagi pada dalam oleh
    tidak tdk tak gak ga gk nggak ngga nggk enggak engga kagak kaga ndak nda bukan bkn
    belum blm blom belom jangan jgn sudah udah udh sdh dah telah sedang lagi lg masih akan
    mau bisa bs dapat dapet harus perlu boleh pernah sering selalu juga jg saja aja aj
    cuma cuman hanya doang sih dong deh kok nih tuh ya yah kan lah kah pun loh lho kak
    gan sis mbak mas pak bu bang saya sy aku aq gue gw gua kamu kalian kami kita mereka
    dia beliau anda nya ada apa apakah gimana bagaimana gmn kenapa knp mengapa berapa
    kapan mana dimana siapa kalau kalo klo jika karena krn karna tapi tp tetapi namun atau
    ato serta lalu terus trs jadi sangat banget bgt bngt sekali amat agak cukup kurang
    lebih paling terlalu sama sm seperti kayak kyk biar supaya agar sampai sampe nyampe
    pas waktu setelah sebelum sejak hingga tentang sini situ sana begini begitu gitu gini
    semua banyak sedikit dikit para tolong mohon silakan silahkan makasih terima kasih
    wkwk wkwkwk hehe udahan mungkin antara pukul lewat barusan tadi nanti soalnya memang
    emang malah padahal apalagi walaupun meskipun pokoknya tiap setiap sendiri kembali
    sesuai sesudah selama bersama beserta kepada terhadap melalui
    """
)
_ID_CONTENT = _words(
    """
    enak bagus mantap mantul keren jelek kecewa puas senang seneng suka ramah jutek
    lambat lemot cepat cepet murah mahal ribet parah pesanan pesan paket barang harga
    pelayanan layanan makanan minuman kurir ongkir sinyal kuota pulsa rekening tagihan
    cabang toko kopi gratis baru lama hari jam menit minggu bulan tahun kemarin besok
    sekarang nanti pagi siang sore malam orang rumah kantor uang saldo beli bayar kirim
    datang dateng rusak hilang telat nunggu tunggu sering gimana aplikasinya
    """
)
_EN_FUNCTION = _words(
    """
    the a an and or of to in on at for with from by about into over after before is are
    was were be been being am do does did done have has had will would can could should
    shall may might must not no never don't doesn't didn't can't won't isn't aren't wasn't
    weren't haven't hasn't i i'm i've i'll i'd me my mine you you're your yours we we're
    our us they they're their them he she his her it it's its this that these those there
    here what which who whom whose when where why how if than then so because but also
    just very really too only even still again any some every all more most much many such
    own same other another each both yet ever always
    """
)
_EN_CONTENT = _words(
    """
    thanks thank please great good nice love best worst bad awesome amazing terrible
    service food order ordered customer waiting money time day week month hours minutes
    people place everything nothing something anyone someone anything everyone got get
    going gonna want need like know think said say tried try came come went go made make
    new old today yesterday tomorrow tonight up down out off
    """
)
_VOCABULARY: dict[str, tuple[float, float]] = {
    **{word: (0.0, 0.5) for word in _EN_CONTENT},
    **{word: (0.5, 0.0) for word in _ID_CONTENT},
    **{word: (0.0, 1.0) for word in _EN_FUNCTION},
    **{word: (1.0, 0.0) for word in _ID_FUNCTION},
}
_ID_PREFIXES = ("meng", "meny", "mem", "men", "peng", "pem", "pen", "ber", "ter", "di", "ke")
_ID_SUFFIXES = ("kan", "nya", "an", "in", "i")
_EN_SUFFIXES = ("tion", "ness", "ing", "ly", "ed")

# Words only (the sentiment tokenizer's tokens work too: emoji and punctuation vote nothing).
# Links, e-mail addresses and @mentions are dropped first; a hashtag keeps its word.
_DROP = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+", re.IGNORECASE)
_REPEAT = re.compile(r"(.)\1+")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_MAX_CHARS = 5000

_memo: dict[str, tuple[float, float]] = {}
_MEMO_LIMIT = 200_000
_NONE = (0.0, 0.0)


def _votes(token: str) -> tuple[float, float]:
    """(Indonesian, English) votes of one token (memoised)."""
    votes = _memo.get(token)
    if votes is not None:
        return votes
    low = token.lower().replace("\u2019", "'")
    votes = _VOCABULARY.get(low)
    if votes is None:
        if not low[0].isalpha():
            votes = _NONE
        elif _REPEAT.search(low) and (squashed := _REPEAT.sub(r"\1", low)) in _VOCABULARY:
            votes = _VOCABULARY[squashed]  # bangettt, sooo, udahh
        elif "-" in low and low.partition("-")[2] in ("nya", "lah", "kah", "pun"):
            votes = (1.0, 0.0)  # CS-nya, latte-nya
        elif low.endswith(("n't", "'s", "'re", "'ve", "'ll")):
            votes = (0.0, 1.0)
        elif len(low) > 5 and low.endswith("nya"):
            votes = (1.0, 0.0)
        elif len(low) > 5 and low.startswith(_ID_PREFIXES) and low.endswith(_ID_SUFFIXES):
            votes = (0.5, 0.0)  # pengiriman, ketinggalan, dikirimkan
        elif len(low) > 4 and low.endswith(_EN_SUFFIXES):
            votes = (0.0, 0.5)
        else:
            votes = _NONE
    if len(_memo) >= _MEMO_LIMIT:
        _memo.clear()
    _memo[token] = votes
    return votes


def detect_tokens(tokens: list[str]) -> str:
    """The language of text already split into tokens (words, or the sentiment tokens)."""
    memo = _memo
    indonesian = english = 0.0
    for token in tokens:
        votes = memo.get(token) or _votes(token)
        indonesian += votes[0]
        english += votes[1]
    if indonesian > english and indonesian >= 1.0:
        return INDONESIAN
    if english > indonesian and english >= 1.0:
        return ENGLISH
    return UNDETERMINED


def detect_language(text: str) -> str:
    """``"en"``, ``"id"`` or ``"und"`` for a social-media text (never raises on any str)."""
    if not text:
        return UNDETERMINED
    text = text[:_MAX_CHARS]
    if "@" in text or "://" in text or "www." in text:
        text = _DROP.sub(" ", text)
    return detect_tokens(_WORD.findall(text))
