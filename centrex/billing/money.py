"""Money rules shared by the billing modules: currencies and rounding.

All amounts are `Decimal`, never float: a float cannot represent 0.01 exactly and a provider's
invoice must add up to the cent. The rounding rule is stated once here so rating, invoices and the
CLI agree on it:

* a rated call is rounded to 4 decimals (``CALL_QUANTUM``) with ROUND_HALF_UP, which keeps
  sub-cent per-minute prices (0.0123/min) meaningful when thousands of calls are summed;
* every invoice line is rounded to cents (``CENT``) with ROUND_HALF_UP, and the subtotal, VAT and
  total are computed from the rounded lines, so the printed lines always add up to the total.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CALL_QUANTUM = Decimal("0.0001")
CENT = Decimal("0.01")
ZERO = Decimal(0)

# ISO 4217 active alphabetic codes (2024 list). A rate deck with any other code is rejected, so a
# typo such as "EUE" or "CFH" never turns into a silently unpriced deck.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
    XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


def round_call(amount: Decimal) -> Decimal:
    """Round the charge of one call to 4 decimals, half up (see module docstring)."""
    return amount.quantize(CALL_QUANTUM, rounding=ROUND_HALF_UP)


def round_cents(amount: Decimal) -> Decimal:
    """Round an invoice line (or any customer-facing amount) to cents, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def is_currency(code: str) -> bool:
    """True for an ISO 4217 alphabetic code written in upper case."""
    return code in ISO_4217
