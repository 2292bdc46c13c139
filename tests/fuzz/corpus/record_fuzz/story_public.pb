
½
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-seed2€€ùÀÁÄ‚ (8€€ùÀÁÄ‚@€€ùÀÁÄ‚jY
Landlord roundtable8What we tried, what it took, and what we would do again.outreach@9ó˜Çpýq_§Âù>Ë‘Þ˜öbˆ‚Î	²ÍÚµ»?ò w1/K‘¾ë3["v%wDtBE'2‹