"""spinemets: a notebook-first reproduction of Ptashnikov et al. (2020).

Ptashnikov D, et al. Metastasectomy and Targeted Therapy for Patients With Spinal
Metastases of Renal Cell Carcinoma. Int J Spine Surg 2020;14(6):982.

The package holds every piece of logic the notebooks use, one module per concern:
``paths`` (where things are), ``output`` (deterministic tables and figures),
``cohort`` (load and validate a cohort), ``claims`` (the paper's numbers),
``reconstruct`` (the synthetic cohort), ``methods`` (generic statistics matching R:
Kaplan-Meier, log-rank, Cox, cox.zph, competing risks, contingency tests, RMST,
power, permutation), ``survival`` (the study's endpoints), ``tables``, ``outcomes``,
``plots``, ``scorecard`` and ``reports`` (the papermill batch).
"""

__version__ = "0.1.0"
