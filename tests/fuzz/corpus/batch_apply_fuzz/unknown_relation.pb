
¯
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-u1€€ùÀÁÄ‚ (8€€ùÀÁÄ‚@€€ùÀÁÄ‚jN
Who am I8What we tried, what it took, and what we would do again.outreach
ó
®
4HVABPQ7IIOEVVEVXBKTU2G36XSOJQLGPF3CJNDGAZVK7CKXUMYGAstory-u2€€ùÀÁÄ‚ (8€€ùÀÁÄ‚@€€ùÀÁÄ‚jM
Relayed8What we tried, what it took, and what we would do again.outreach@+vÆÖÛÁ©â±´´µqB¼Ô^–š;L³Oıh*Ï®2Ş-Ê¶¹¶×\K°¦eÛç‘³·ÄÒ‚(Ñ7!š