"""ISO 4217 codes of the currencies in circulation (ISO 4217 list one).

Left out on purpose: codes withdrawn from use (HRK, SLL, ZWL, CUC, VEF, MRO, STD, BYR,
LTL, LVL…), precious metals, fund and accounting units and testing codes (XAU, XAG, XPT,
XPD, XBA–XBD, XDR, XSU, XUA, XTS, XXX, BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), none of
which a sale is paid in. ANG and BGN stay through their withdrawal period (replaced by XCG
and EUR) so a partner's late reports are not refused.
"""

from __future__ import annotations

_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER
    ZAR ZMW ZWG
"""
CURRENCIES: frozenset[str] = frozenset(_CODES.split())


def normalised_currency(code: str) -> str | None:
    """The upper-case code if it is a currency in circulation, else None."""
    candidate = code.strip().upper()
    return candidate if candidate in CURRENCIES else None
